package io.convzoo.serving.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpProfileTest {

    @Test
    void selfTimeIsAnOpsDurationLessItsDirectChildrenAndGapsAreBetweenTopLevelOps() {
        // Thread 1: conv2d [0, 100) calls convolution [10, 90), which calls mkldnn [20, 80); then relu [130, 150).
        // Thread 2: one op [0, 40). The same relu event twice (a repeat must count twice, not collapse).
        List<OpProfile.Event> events = List.of(
                new OpProfile.Event("aten::conv2d", "1", 0, 100),
                new OpProfile.Event("aten::convolution", "1", 10, 80),
                new OpProfile.Event("aten::mkldnn_convolution", "1", 20, 60),
                new OpProfile.Event("aten::relu", "1", 130, 20),
                new OpProfile.Event("aten::relu", "1", 130, 20),
                new OpProfile.Event("aten::add", "2", 0, 40));
        OpProfile.Summary s = OpProfile.summarize(events);
        assertEquals(0.150, s.spanMillis(), 1e-12);
        // Top level: conv2d 100, the first relu 20 (its repeat starts inside it, so nests under it) and add 40.
        assertEquals((100 + 20 + 40) / 1e3, s.busyMillis(), 1e-12);
        assertEquals((150 - 160) / 1e3, s.gapMillis(), 1e-12); // two threads overlap: busy exceeds the span
        assertEquals(new OpProfile.OpTotal("aten::mkldnn_convolution", 1, 0.060), s.ops().get("aten::mkldnn_convolution"));
        assertEquals(new OpProfile.OpTotal("aten::convolution", 1, 0.020), s.ops().get("aten::convolution"));
        assertEquals(new OpProfile.OpTotal("aten::conv2d", 1, 0.020), s.ops().get("aten::conv2d"));
        assertEquals(2, s.ops().get("aten::relu").calls());
        assertEquals(0.020, s.ops().get("aten::relu").selfMillis(), 1e-12); // outer 20 - nested 20, plus nested 20
        assertEquals(List.of("aten::mkldnn_convolution", "aten::add", "aten::conv2d", "aten::convolution", "aten::relu"),
                List.copyOf(s.ops().keySet()));
    }

    @Test
    void aFileThatIsNotAChromeTraceIsRefusedByName(@TempDir Path dir) throws IOException {
        Path garbage = Files.writeString(dir.resolve("garbage.json"), "{not json");
        IOException e = assertThrows(IOException.class, () -> OpProfile.read(garbage));
        assertTrue(e.getMessage().contains("not a Chrome trace") && e.getMessage().contains("garbage.json"), e.getMessage());
        Path noEvents = Files.writeString(dir.resolve("empty.json"), "{\"other\": 1}");
        e = assertThrows(IOException.class, () -> OpProfile.read(noEvents));
        assertTrue(e.getMessage().contains("no traceEvents"), e.getMessage());
    }

    @Test
    void profilingAForwardCountsEachOpItRan(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("forward.json");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(2, 3, 8, 8));
            NDArray w1 = m.randomNormal(new Shape(4, 3, 3, 3));
            NDArray w2 = m.randomNormal(new Shape(5, 4, 1, 1));
            NDArray y = OpProfile.record(file,
                    () -> Conv2d.conv2d(Activation.relu(Conv2d.conv2d(x, w1).head()), w2).head());
            assertEquals(new Shape(2, 5, 6, 6), y.getShape());
        }
        OpProfile.Summary s = OpProfile.read(file);
        assertEquals(2, s.ops().get("aten::conv2d").calls());
        assertEquals(1, s.ops().get("aten::relu").calls());
        assertNull(s.ops().get("aten::batch_norm"));
        assertTrue(s.spanMillis() > 0 && s.busyMillis() > 0 && s.busyMillis() <= s.spanMillis() + 1e-9,
                s.spanMillis() + " / " + s.busyMillis());
        assertFalse(s.ops().values().stream().anyMatch(t -> t.selfMillis() < 0));
    }

    @Test
    void theTrainBenchTableListsEitherSidesLargestOpsWithADashWhereASideLacksOne() {
        Map<String, OpProfile.OpTotal> ours = new LinkedHashMap<>();
        ours.put("aten::mkldnn_convolution", new OpProfile.OpTotal("aten::mkldnn_convolution", 53, 67.0));
        ours.put("aten::clamp_min", new OpProfile.OpTotal("aten::clamp_min", 49, 2.5));
        Map<String, OpProfile.OpTotal> theirs = new LinkedHashMap<>();
        theirs.put("aten::mkldnn_convolution", new OpProfile.OpTotal("aten::mkldnn_convolution", 53, 62.7));
        theirs.put("aten::clamp_min_", new OpProfile.OpTotal("aten::clamp_min_", 49, 0.7));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TrainBench.printProfiles("resnet50 batch 16", new OpProfile.Summary(118.0, 112.0, ours),
                new OpProfile.Summary(99.0, 99.0, theirs), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(7, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("resnet50 batch 16, training forwards under libtorch's profiler (median of 5"),
                lines.get(0));
        assertEquals(List.of("aten::mkldnn_convolution", "53 / 67.0", "53 / 62.7"), List.of(lines.get(2).trim().split("\\s{2,}")));
        assertEquals(List.of("aten::clamp_min", "49 / 2.5", "-"), List.of(lines.get(3).trim().split("\\s{2,}")));
        assertEquals(List.of("aten::clamp_min_", "-", "49 / 0.7"), List.of(lines.get(4).trim().split("\\s{2,}")));
        assertTrue(lines.get(5).matches("\\s*span .*\\s118\\.0\\s+99\\.0"), lines.get(5));
        assertTrue(lines.get(6).matches("\\s*between top-level ops .*\\s6\\.0\\s+0\\.0"), lines.get(6));
    }

    @Test
    void theMedianOfProfilesIsTakenPerOpWithZeroWhereAProfileLacksTheOp() {
        OpProfile.Summary a = new OpProfile.Summary(100, 90, Map.of(
                "conv", new OpProfile.OpTotal("conv", 53, 60.0), "relu", new OpProfile.OpTotal("relu", 49, 2.0)));
        OpProfile.Summary b = new OpProfile.Summary(130, 95, Map.of("conv", new OpProfile.OpTotal("conv", 53, 90.0)));
        OpProfile.Summary c = new OpProfile.Summary(110, 93, Map.of(
                "conv", new OpProfile.OpTotal("conv", 53, 62.0), "relu", new OpProfile.OpTotal("relu", 49, 3.0)));
        OpProfile.Summary m = OpProfile.median(List.of(a, b, c));
        assertEquals(110, m.spanMillis());
        assertEquals(93, m.busyMillis());
        assertEquals(List.of("conv", "relu"), List.copyOf(m.ops().keySet()));
        assertEquals(new OpProfile.OpTotal("conv", 53, 62.0), m.ops().get("conv"));
        assertEquals(new OpProfile.OpTotal("relu", 49, 2.0), m.ops().get("relu")); // medians of {49, 0, 49}, {2, 0, 3}
        assertThrows(IllegalArgumentException.class, () -> OpProfile.median(List.of()));
    }
}
