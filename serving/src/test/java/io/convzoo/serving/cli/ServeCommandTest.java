package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import io.convzoo.serving.http.ConvZooHttpServer;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.djl.PretrainedWeights;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServeCommandTest {

    @Test
    void coresAreSplitBetweenEveryWorkerOfEveryModel() {
        // The default serve: 4 bundled models, 1 worker each, on 2 cores -> 1 thread per worker, not 2.
        assertEquals(1, ServeCommand.threadsPerWorker(2, 1, 4));
        assertEquals(8, ServeCommand.threadsPerWorker(16, 2, 1));
        assertEquals(2, ServeCommand.threadsPerWorker(16, 2, 4));
        assertEquals(1, ServeCommand.threadsPerWorker(1, 3, 1));
    }

    @Test
    void optionsMapToTheServingConfig() {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("--model", "res2net_small", "--model", "dy_resnet_small", "--port", "0",
                "--workers", "3", "--batch-size", "16", "--max-batch-delay-ms", "7", "--untrained");
        assertEquals(List.of("res2net_small", "dy_resnet_small"), cmd.models);
        assertEquals(0, cmd.port);
        assertEquals(3, cmd.config().workers());
        assertEquals(16, cmd.config().batchSize());
        assertEquals(7, cmd.config().maxBatchDelayMs());
        assertTrue(cmd.untrained);
    }

    @Test
    void unknownModelIsOneClearErrorLine() {
        PrintStream err = System.err;
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            assertEquals(2, ConvZooCli.run("serve", "--model", "res2net_smal", "--port", "0"));
        } finally {
            System.setErr(err);
        }
        String message = e.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("unknown model 'res2net_smal'") && message.contains("res2net_small"), message);
    }

    @Test
    void withoutModelsItServesTheBundledFashionMnistOnesUntrained() throws Exception {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("--port", "0", "--workers", "1");
        ConvZooHttpServer server = cmd.start();
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/models")).build(), HttpResponse.BodyHandlers.ofString());
            JsonArray models = JsonParser.parseString(r.body()).getAsJsonObject().get("models").getAsJsonArray();
            List<String> expected = new ArrayList<>();
            for (String id : ServeCommand.DEFAULT_MODELS) {
                if (ModelRegistry.find(id).isPresent()) {
                    expected.add(id);
                }
            }
            assertTrue(expected.size() >= 3, "the small models of the registered families: " + expected);
            assertEquals(expected.size(), models.size());
            for (int i = 0; i < models.size(); i++) {
                assertEquals(expected.get(i), models.get(i).getAsJsonObject().get("modelName").getAsString());
                String shipped = PretrainedWeights.isInstalled(expected.get(i), "fashion-mnist") ? "installed" : "untrained";
                assertEquals(shipped, models.get(i).getAsJsonObject().get("weights").getAsString());
                assertEquals("fashion-mnist", models.get(i).getAsJsonObject().get("dataset").getAsString());
            }
        } finally {
            server.close();
        }
    }
}
