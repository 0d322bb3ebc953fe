package io.convzoo.zoo.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code auto}'s trial of one input shape, driven forward by forward with scripted times: it times both
 * runtimes again after a number of forwards and chooses from the pooled timed forwards of its last trials.
 */
class AutoTrialTest {

    private static final int ROUNDS = OnnxRuntimeForward.TRIAL_ROUNDS;

    /** What {@code n} forwards did: how many ran on ONNX Runtime, and how many changed the choice. */
    private record Forwards(int onOrt, int changes) {}

    /** Runs {@code n} forwards that take {@code ortMs} on ONNX Runtime and {@code libtorchMs} on libtorch. */
    private static Forwards run(OnnxRuntimeForward.Trial trial, int n, long ortMs, long libtorchMs) {
        int onOrt = 0;
        int changes = 0;
        for (int i = 0; i < n; i++) {
            int slot = trial.nextSlot();
            boolean ort = trial.runsOrt(slot);
            onOrt += ort ? 1 : 0;
            changes += trial.record(slot, (ort ? ortMs : libtorchMs) * 1_000_000) ? 1 : 0;
        }
        return new Forwards(onOrt, changes);
    }

    @Test
    void aTrialInASlowStretchIsOutvotedByTheTrialsAfterIt() {
        int retrialAfter = 10;
        OnnxRuntimeForward.Trial trial = new OnnxRuntimeForward.Trial(retrialAfter);

        // First trial in a stretch where ORT runs slowly (300 against libtorch's 220): one untimed libtorch
        // forward, then rounds of two forwards a runtime.
        assertEquals(new Forwards(2 * ROUNDS, 1), run(trial, 1 + 4 * ROUNDS, 300, 220));
        assertTrue(trial.choseLibtorch(), trial.toString());
        assertEquals(new Forwards(0, 0), run(trial, retrialAfter - 1, 200, 220), "the chosen runtime, then a retrial");

        // ORT is back to 200. The second trial (no untimed forward now) pools 5 × 300 and 5 × 200: the median
        // is still 300, so libtorch stays.
        assertEquals(new Forwards(2 * ROUNDS, 0), run(trial, 4 * ROUNDS, 200, 220));
        assertTrue(trial.choseLibtorch(), trial.toString());
        assertEquals(new Forwards(0, 0), run(trial, retrialAfter - 1, 200, 220));

        // The third: 10 of the 15 pooled ORT forwards are 200, and 220 is not below 0.95 × 200: ORT.
        assertEquals(new Forwards(2 * ROUNDS, 1), run(trial, 4 * ROUNDS, 200, 220));
        assertFalse(trial.choseLibtorch(), trial.toString());
        assertEquals(new Forwards(retrialAfter - 1, 0), run(trial, retrialAfter - 1, 200, 220));
        assertEquals("median 200.00 ms on onnxruntime, 220.00 ms on libtorch over 15 timed forwards each", trial.toString());
    }

    @Test
    void onlyTheLastTrialsArePooled() {
        assertEquals(4, OnnxRuntimeForward.POOLED_TRIALS, "the counts below are written for four");
        OnnxRuntimeForward.Trial trial = new OnnxRuntimeForward.Trial(2); // one forward on the choice between trials
        assertEquals(1, run(trial, 1 + 4 * ROUNDS, 100, 300).changes());
        for (int i = 0; i < 2; i++) {
            run(trial, 1 + 4 * ROUNDS, 100, 300);
        }
        // The fourth trial pools 15 forwards of 100 and 5 of 400: still ORT.
        assertEquals(0, run(trial, 1 + 4 * ROUNDS, 400, 300).changes());
        assertFalse(trial.choseLibtorch(), trial.toString());
        // The fifth replaces the first: 10 of 100 and 10 of 400, median 400 (kept, all 25 would give 100).
        assertEquals(1, run(trial, 1 + 4 * ROUNDS, 400, 300).changes());
        assertTrue(trial.choseLibtorch(), trial.toString());
        assertEquals("median 400.00 ms on onnxruntime, 300.00 ms on libtorch over 20 timed forwards each", trial.toString());
    }
}
