package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The bench command's wiring and output (no timing is asserted: only shapes of the results). */
class BenchCommandTest {

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
    void jsonHasOneRowPerModelBatchAndImplementation() {
        String[] r = run("bench", "--models", "res2net_small,pyconvresnet_small", "--batch", "1,2", "--rounds", "2",
                "--warmup", "1", "--plain", "--json");
        assertEquals("0", r[0], r[2]);
        JsonObject json = JsonParser.parseString(r[1]).getAsJsonObject();
        JsonArray rows = json.get("results").getAsJsonArray();
        // 2 models × 2 batches × (ours, ours-plain); no traces given.
        assertEquals(8, rows.size());
        for (JsonElement e : rows) {
            JsonObject row = e.getAsJsonObject();
            assertEquals(2, row.get("seconds").getAsJsonArray().size(), row.toString());
            assertTrue(row.get("imagesPerSecond").getAsDouble() > 0, row.toString());
            assertTrue(row.get("macsPerImage").getAsLong() > 0, row.toString());
            assertTrue(!row.has("ratioVsTorchscript") || row.get("ratioVsTorchscript").isJsonNull(), row.toString());
        }
        assertEquals("ours-plain", rows.get(1).getAsJsonObject().get("impl").getAsString());
    }

    @Test
    void unknownModelIsOneClearLine() {
        String[] r = run("bench", "--models", "res2net_smal");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("res2net_small"), r[2]);
    }

    @Test
    void missingTraceDirectoryIsRejected() {
        String[] r = run("bench", "--models", "res2net_small", "--torchscript-dir", "/nonexistent/traces");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--torchscript-dir"), r[2]);
    }

    @Test
    void soakReportsGrowth() {
        String[] r = run("bench", "--soak", "3", "--models", "res2net_small", "--json");
        assertEquals("0", r[0], r[2]);
        JsonObject json = JsonParser.parseString(r[1]).getAsJsonObject();
        assertEquals(3, json.get("forwards").getAsInt());
        assertTrue(json.get("rssFinalMib").getAsDouble() > 0);
    }
}
