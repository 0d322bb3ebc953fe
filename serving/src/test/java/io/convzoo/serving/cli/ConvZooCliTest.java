package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.convzoo.zoo.ModelRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConvZooCliTest {

    /** Runs the CLI, returning exit code, stdout and stderr. */
    private static String[] run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = ConvZooCli.run(args);
            return new String[] {Integer.toString(code), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void summaryJsonHasOfficialParamsAndMacs() {
        String[] r = run("summary", "res2net50_26w_4s", "--json");
        assertEquals("0", r[0], r[2]);
        JsonObject json = JsonParser.parseString(r[1]).getAsJsonObject();
        assertEquals(25_699_120L, json.get("params").getAsLong());
        assertEquals(4_255_166_464L, json.get("macs").getAsLong());
        assertTrue(json.get("layers").getAsJsonArray().size() > 100);
    }

    @Test
    void summaryHonoursInputAndNumClasses() {
        String[] r = run("summary", "pyconvresnet_small", "--input", "1,3,32,32", "--num-classes", "5", "--json");
        assertEquals("0", r[0], r[2]);
        JsonObject json = JsonParser.parseString(r[1]).getAsJsonObject();
        JsonArray layers = json.get("layers").getAsJsonArray();
        JsonObject last = layers.get(layers.size() - 1).getAsJsonObject();
        assertEquals("fc", last.get("name").getAsString());
        assertTrue(last.get("outputShape").toString().contains("5"), last.toString());
    }

    @Test
    void modelsJsonListsEveryVariantWithItsCounts() {
        String[] r = run("models", "--json");
        assertEquals("0", r[0], r[2]);
        Map<String, JsonObject> byId = new HashMap<>();
        for (JsonElement e : JsonParser.parseString(r[1]).getAsJsonArray()) {
            byId.put(e.getAsJsonObject().get("id").getAsString(), e.getAsJsonObject());
        }
        assertEquals(ModelRegistry.all().size(), byId.size());
        assertEquals(24_847_720L, byId.get("pyconvresnet50").get("params").getAsLong());
        assertEquals(2_367_143_936L, byId.get("oct_resnet50").get("macs").getAsLong());
        assertEquals("res2net", byId.get("res2net50_26w_4s").get("family").getAsString());
    }

    @Test
    void unknownModelIsOneClearLine() {
        String[] r = run("summary", "res2net50_26w_4", "--json");
        assertEquals("2", r[0]);
        assertTrue(r[2].startsWith("convzoo: unknown model 'res2net50_26w_4'"), r[2]);
        assertTrue(r[2].contains("res2net50_26w_4s"), r[2]);
        assertEquals(1, r[2].strip().lines().count(), r[2]);
    }

    @Test
    void badInputShapeIsOneClearLine() {
        String[] r = run("summary", "res2net50_26w_4s", "--input", "1,3,224");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("N,C,H,W"), r[2]);
    }
}
