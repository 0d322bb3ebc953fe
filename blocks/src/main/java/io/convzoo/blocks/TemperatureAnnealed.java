package io.convzoo.blocks;

import ai.djl.nn.Block;
import java.util.List;

/**
 * A block with a softmax temperature that training anneals (dynamic convolution's attention:
 * DyConv anneals it linearly from 30 to 1 over the first epochs). The fine-tuner finds every such
 * block in the model and sets the temperature before each step.
 */
public interface TemperatureAnnealed {

    /** Sets the temperature (positive). */
    void setTemperature(float temperature);

    /** Every block under {@code root} (root included) that implements this interface, depth first. */
    static List<TemperatureAnnealed> findAll(Block root) {
        return BlockTree.findAll(root, TemperatureAnnealed.class);
    }

    /**
     * Linear schedule: {@code start} at progress 0 to {@code end} at progress {@code epochs}
     * (progress in epochs, fractional), then {@code end}. {@code epochs <= 0} means {@code end} throughout.
     */
    static float linear(float start, float end, double progressEpochs, double epochs) {
        if (epochs <= 0 || progressEpochs >= epochs) {
            return end;
        }
        return (float) (start + (end - start) * Math.max(0, progressEpochs) / epochs);
    }
}
