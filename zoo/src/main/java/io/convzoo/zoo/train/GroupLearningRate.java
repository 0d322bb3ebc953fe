package io.convzoo.zoo.train;

import ai.djl.nn.Parameter;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-parameter-group learning rates on top of one DJL schedule: DJL optimizers ask their
 * {@link ParameterTracker} for the rate of each parameter id, so this tracker answers
 * {@code multiplier(group) × schedule(step)}. Typical use: backbone at 0.1× the head's rate.
 * Works with DJL's own optimizers (Sgd, AdamW) as well as with {@link FineTuneOptimizer}.
 */
public final class GroupLearningRate implements ParameterTracker {

    private final Tracker schedule;
    private final Map<String, Float> multipliers = new ConcurrentHashMap<>();

    /** @param schedule the head's (base) learning-rate schedule */
    public GroupLearningRate(Tracker schedule) {
        this.schedule = schedule;
    }

    /** Scales the rate of these parameters by {@code multiplier}; returns this. */
    public GroupLearningRate scale(Collection<Parameter> parameters, float multiplier) {
        if (multiplier < 0 || Float.isNaN(multiplier)) {
            throw new IllegalArgumentException("learning-rate multiplier must be >= 0, got " + multiplier);
        }
        for (Parameter p : parameters) {
            multipliers.put(p.getId(), multiplier);
        }
        return this;
    }

    /** The multiplier of a parameter id (1 unless scaled). */
    public float multiplier(String parameterId) {
        return multipliers.getOrDefault(parameterId, 1f);
    }

    /** The base schedule. */
    public Tracker schedule() {
        return schedule;
    }

    @Override
    public float getNewValue(String parameterId, int numUpdate) {
        return multiplier(parameterId) * schedule.getNewValue(numUpdate);
    }
}
