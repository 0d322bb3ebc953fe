package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** The bench command's wiring and output (no timing is asserted: only shapes of the results). */
class BenchCommandTest {

    @Test
    void jsonHasOneRowPerModelBatchAndImplementation() {
        CliRun r = CliRun.of("bench", "--models", "res2net_small,pyconvresnet_small", "--batch", "1,2", "--rounds", "2",
                "--warmup", "1", "--plain", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
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
    void ortRowsForEveryModelWithAnOnnxFormAndTheOfficialExportOfItsBatch(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        // A batch-2-only "official" export, as tools/make_torchscript_traces.py --onnx writes for the dynamic conv.
        java.nio.file.Path export = dir.resolve("res2net_small.b2.onnx");
        CliRun exported = CliRun.of("export", "res2net_small", "--untrained", "--format", "onnx", "--out", export.toString());
        assertEquals(0, exported.code(), exported.err());
        CliRun r = CliRun.of("bench", "--models", "res2net_small,dy_resnet_small", "--batch", "1,2", "--rounds", "2",
                "--warmup", "1", "--ort", "--torchscript-dir", dir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        java.util.List<String> cells = new java.util.ArrayList<>();
        for (JsonElement e : JsonParser.parseString(r.out()).getAsJsonObject().get("results").getAsJsonArray()) {
            JsonObject row = e.getAsJsonObject();
            cells.add(row.get("model").getAsString() + " " + row.get("impl").getAsString() + " " + row.get("batch").getAsInt());
            boolean compared = row.has("ratioVsOnnxRuntime") && !row.get("ratioVsOnnxRuntime").isJsonNull();
            boolean exportedBatch = row.get("model").getAsString().equals("res2net_small") && row.get("batch").getAsInt() == 2;
            assertEquals(exportedBatch, compared, row.toString());
        }
        assertEquals(java.util.List.of("res2net_small ours 1", "res2net_small ours-ort 1", "res2net_small ours 2",
                "res2net_small ours-ort 2", "res2net_small onnxruntime 2", "dy_resnet_small ours 1",
                "dy_resnet_small ours-ort 1", "dy_resnet_small ours 2", "dy_resnet_small ours-ort 2"), cells);
    }

    @Test
    void autoRowsTimeTheRuntimeEachShapeChose() {
        CliRun r = CliRun.of("bench", "--models", "dy_resnet_small", "--batch", "1,2", "--rounds", "2", "--warmup", "1",
                "--auto", "--json");
        assertEquals(0, r.code(), r.err());
        java.util.List<String> cells = new java.util.ArrayList<>();
        for (JsonElement e : JsonParser.parseString(r.out()).getAsJsonObject().get("results").getAsJsonArray()) {
            JsonObject row = e.getAsJsonObject();
            cells.add(row.get("impl").getAsString() + " " + row.get("batch").getAsInt());
            assertTrue(row.get("medianSeconds").getAsDouble() > 0, row.toString());
        }
        assertEquals(java.util.List.of("ours 1", "ours-auto 1", "ours 2", "ours-auto 2"), cells);
    }

    @Test
    void unknownModelIsOneClearLine() {
        CliRun r = CliRun.of("bench", "--models", "res2net_smal");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("res2net_small"), r.err());
    }

    @Test
    void missingTraceDirectoryIsRejected() {
        CliRun r = CliRun.of("bench", "--models", "res2net_small", "--torchscript-dir", "/nonexistent/traces");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--torchscript-dir"), r.err());
    }

    @Test
    void trainBenchNeedsItsTracesAndSaysWhichAreMissing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        CliRun noDir = CliRun.of("bench", "--train", "--models", "res2net_small");
        assertEquals(2, noDir.code());
        assertTrue(noDir.err().contains("--train needs --torchscript-dir"), noDir.err());
        CliRun none = CliRun.of("bench", "--train", "--models", "res2net_small", "--train-batch", "4", "--size", "28",
                "--torchscript-dir", dir.toString(), "--json");
        assertEquals(0, none.code(), none.err());
        assertTrue(none.err().contains("res2net_small batch 4: no res2net_small.train.b4.pt in " + dir), none.err());
        assertEquals(0, JsonParser.parseString(none.out()).getAsJsonObject().get("results").getAsJsonArray().size());
    }

    @Test
    void soakReportsGrowth() {
        CliRun r = CliRun.of("bench", "--soak", "3", "--models", "res2net_small", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(3, json.get("forwards").getAsInt());
        assertTrue(json.get("rssFinalMib").getAsDouble() > 0);
    }
}
