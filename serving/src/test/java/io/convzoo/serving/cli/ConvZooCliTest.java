package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.convzoo.zoo.ModelRegistry;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConvZooCliTest {

    @Test
    void summaryJsonHasOfficialParamsAndMacs() {
        CliRun r = CliRun.of("summary", "res2net50_26w_4s", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(25_699_120L, json.get("params").getAsLong());
        assertEquals(4_255_166_464L, json.get("macs").getAsLong());
        assertTrue(json.get("layers").getAsJsonArray().size() > 100);
    }

    @Test
    void summaryHonoursInputAndNumClasses() {
        CliRun r = CliRun.of("summary", "pyconvresnet_small", "--shape", "1,3,32,32", "--num-classes", "5", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonArray layers = json.get("layers").getAsJsonArray();
        JsonObject last = layers.get(layers.size() - 1).getAsJsonObject();
        assertEquals("fc", last.get("name").getAsString());
        assertTrue(last.get("outputShape").toString().contains("5"), last.toString());
    }

    @Test
    void modelsJsonListsEveryVariantWithItsCounts() {
        CliRun r = CliRun.of("models", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, JsonObject> byId = new HashMap<>();
        for (JsonElement e : JsonParser.parseString(r.out()).getAsJsonArray()) {
            byId.put(e.getAsJsonObject().get("id").getAsString(), e.getAsJsonObject());
        }
        assertEquals(ModelRegistry.all().size(), byId.size());
        assertEquals(24_847_720L, byId.get("pyconvresnet50").get("params").getAsLong());
        assertEquals(2_367_143_936L, byId.get("oct_resnet50").get("macs").getAsLong());
        assertEquals("res2net", byId.get("res2net50_26w_4s").get("family").getAsString());
    }

    @Test
    void unknownModelIsOneClearLine() {
        CliRun r = CliRun.of("summary", "res2net50_26w_4", "--json");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("convzoo: unknown model 'res2net50_26w_4'"), r.err());
        assertTrue(r.err().contains("res2net50_26w_4s"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void badInputShapeIsOneClearLine() {
        CliRun r = CliRun.of("summary", "res2net50_26w_4s", "--shape", "1,3,224");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("N,C,H,W"), r.err());
    }
}
