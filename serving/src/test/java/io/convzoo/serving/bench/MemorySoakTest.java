package io.convzoo.serving.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MemorySoakTest {

    @Test
    void aTrainingSoakRunsEveryStepAndSamplesTheResidentSetAfterEach() throws IOException {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        MemorySoak.Result r = MemorySoak.runTraining("res2net_small", 3, 2, 28,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals("res2net_small", r.model());
        assertEquals("training steps", r.unit());
        assertEquals(3, r.forwards());
        assertEquals(3, r.warmupForwards(), "fewer repeats than the warm-up's minimum: all of them warm up");
        assertEquals(3, r.samples().size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, r.samples().get(i)[0]);
            assertTrue(r.samples().get(i)[1] > 0, "RSS sample " + i);
        }
        assertEquals(r.rssAfterWarmupMib(), r.samples().get(2)[1], 16.0, "the warm-up's end is the last step here");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("soak 3/3 RSS"), log.toString(StandardCharsets.UTF_8));
        assertTrue(r.toString().startsWith("res2net_small: 3 training steps (warm-up 3)"), r.toString());
    }

    @Test
    void noStepsIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MemorySoak.runTraining("res2net_small", 0, 2, 28, System.err));
        assertEquals("--soak needs at least 1 training step, got 0", e.getMessage());
    }
}
