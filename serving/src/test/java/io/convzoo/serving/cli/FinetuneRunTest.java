package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.serving.http.ConvZooHttpServer;
import io.convzoo.zoo.djl.PretrainedWeights;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A fine-tuning run a user can finish: finetune on a small image folder (made from the bundled
 * samples, sub-folders as labels), then {@code predict RUN} on its images and {@code serve --model RUN}
 * answer them with the folder's labels and the same top-1; {@code install RUN} makes it load by id
 * (in a named slot, or as plain pretrained=true); the run prints a line per epoch, writes strict JSON
 * and serves its best epoch's weights.
 */
class FinetuneRunTest {

    private static final Path SAMPLES = Paths.get("").toAbsolutePath().getParent().resolve("samples/fashion-mnist");
    /** Three labels of our own (not Fashion-MNIST's names), two sample images each, copied four times. */
    private static final List<String> LABELS = List.of("footwear", "tops", "other");

    @Test
    void aRunIsAModelThatPredictAndServeAnswerWithTheFolderLabels(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        List<Path> images = new ArrayList<>();
        String[][] members = {{"ankle-boot", "sneaker"}, {"pullover", "coat"}, {"bag", "trouser"}};
        for (int c = 0; c < LABELS.size(); c++) {
            Path folder = Files.createDirectories(data.resolve(LABELS.get(c)));
            for (String member : members[c]) {
                Path sample;
                try (var list = Files.list(SAMPLES)) {
                    sample = list.filter(p -> p.getFileName().toString().endsWith("-" + member + ".png")).findFirst()
                            .orElseThrow();
                }
                for (int copy = 0; copy < 4; copy++) {
                    Path target = folder.resolve(member + "-" + copy + ".png");
                    Files.copy(sample, target);
                    if (copy == 0) {
                        images.add(target);
                    }
                }
            }
        }
        Path run = tmp.resolve("run");
        CliRun trained = CliRun.of("finetune", "--model", "res2net_small", "--data", data.toString(), "--pretrained",
                "--epochs", "2", "--batch-size", "8", "--val-fraction", "0.25", "--no-progress", "--out", run.toString());
        assertEquals(0, trained.code(), trained.err() + trained.out());
        assertTrue(trained.out().contains("epoch 1/2  train loss "), trained.out());
        assertTrue(trained.out().contains("epoch 2/2  train loss "), trained.out());
        assertTrue(trained.out().contains("model: " + run + " (best weights, epoch "), trained.out());
        String history = Files.readString(run.resolve("history.json"));
        assertFalse(history.matches("(?s).*\\b(NaN|Infinity)\\b.*"), "strict JSON: " + history);
        assertTrue(JsonParser.parseString(history).getAsJsonObject().has("val_accuracy"));
        assertTrue(Files.readString(run.resolve("serving.properties")).contains("best weights"));
        assertEquals(LABELS.stream().sorted().toList(), Files.readAllLines(run.resolve("synset.txt")));

        List<String> predicted = new ArrayList<>();
        for (Path image : images) {
            CliRun r = CliRun.of("predict", run.toString(), image.toString(), "--top", "3");
            assertEquals(0, r.code(), r.err());
            String[] lines = r.out().strip().split("\n");
            assertEquals(3, lines.length, r.out());
            Set<String> shown = new java.util.HashSet<>();
            for (String line : lines) {
                shown.add(line.substring(0, line.lastIndexOf(' ')).strip());
            }
            assertEquals(Set.copyOf(LABELS), shown, "the three folder labels, nothing else");
            predicted.add(lines[0].substring(0, lines[0].lastIndexOf(' ')).strip());
        }

        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--model", run.toString(), "--port", "0", "--workers", "1");
        try (ConvZooHttpServer server = serve.start()) {
            HttpClient client = HttpClient.newHttpClient();
            for (int i = 0; i < images.size(); i++) {
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                                + "/predictions/run?topk=3"))
                        .header("Content-Type", "image/png")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(images.get(i)))).build();
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString(
                        StandardCharsets.UTF_8));
                assertEquals(200, response.statusCode(), response.body());
                JsonArray top = JsonParser.parseString(response.body()).getAsJsonArray();
                assertEquals(3, top.size());
                assertEquals(predicted.get(i), top.get(0).getAsJsonObject().get("className").getAsString(),
                        "serve and predict agree on " + images.get(i).getFileName());
            }
        }

        // Installed into a local repository root, the run loads by id: in a named slot, and by default
        // in its dataset's slot (where plain pretrained=true looks).
        Path root = tmp.resolve("repository");
        String previous = System.setProperty(PretrainedWeights.ROOT_PROPERTY, root.toString());
        try {
            CliRun named = CliRun.of("install", run.toString(), "--as", "shapes");
            assertEquals(0, named.code(), named.err());
            assertTrue(Files.isRegularFile(root.resolve("res2net_small/shapes/res2net_small-0000.params")));
            Criteria<Image, Classifications> criteria = Criteria.builder().setTypes(Image.class, Classifications.class)
                    .optGroupId("io.convzoo").optArtifactId("res2net_small").optArgument("dataset", "shapes").build();
            try (ZooModel<Image, Classifications> model = criteria.loadModel();
                 Predictor<Image, Classifications> predictor = model.newPredictor()) {
                for (int i = 0; i < images.size(); i++) {
                    Classifications c = predictor.predict(ImageFactory.getInstance().fromFile(images.get(i)));
                    assertEquals(LABELS.stream().sorted().toList(), c.getClassNames());
                    assertEquals(predicted.get(i), c.best().getClassName(), "installed as 'shapes'");
                }
            }
            CliRun plain = CliRun.of("install", run.toString());
            assertEquals(0, plain.code(), plain.err());
            assertTrue(plain.out().contains("'convzoo predict res2net_small' now load it"), plain.out());
            CliRun byId = CliRun.of("predict", "res2net_small", images.get(0).toString(), "--top", "1");
            assertEquals(0, byId.code(), byId.err());
            assertEquals(predicted.get(0), byId.out().strip().substring(0, byId.out().strip().lastIndexOf(' ')).strip());
            CliRun bad = CliRun.of("install", run.toString(), "--as", "../elsewhere");
            assertEquals(2, bad.code());
            assertTrue(bad.err().contains("--as must be a plain name"), bad.err());
        } finally {
            if (previous == null) {
                System.clearProperty(PretrainedWeights.ROOT_PROPERTY);
            } else {
                System.setProperty(PretrainedWeights.ROOT_PROPERTY, previous);
            }
        }
    }
}
