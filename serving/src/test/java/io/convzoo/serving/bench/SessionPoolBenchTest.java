package io.convzoo.serving.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The session-pool micro-benchmark's rows (no timing is asserted); it checks that every session gives the same logits. */
class SessionPoolBenchTest {

    @Test
    void fourArrangementsOfOneModelEachTimed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<MicroBench.Entry> rows = SessionPoolBench.run(manager, "res2net_small", 28, 2,
                    new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            assertEquals(List.of("2 in turn, pools of their own", "2 in turn, one shared pool", "1 session, back to back",
                    "1 session, back to back, own pool"),
                    rows.stream().map(MicroBench.Entry::name).toList());
            long macs = BenchModel.macsPerImage("res2net_small");
            for (MicroBench.Entry row : rows) {
                assertEquals("sessions", row.group());
                assertEquals(macs, row.macs(), row.name());
                assertTrue(row.medianMs() > 0, row.toString());
            }
            assertEquals(rows.get(0).medianMs() / rows.get(2).medianMs(), rows.get(0).ratio(), 1e-12);
            assertEquals(rows.get(1).medianMs() / rows.get(2).medianMs(), rows.get(1).ratio(), 1e-12);
            assertNull(rows.get(2).ratio());
            assertEquals(rows.get(3).medianMs() / rows.get(2).medianMs(), rows.get(3).ratio(), 1e-12);
        }
    }
}
