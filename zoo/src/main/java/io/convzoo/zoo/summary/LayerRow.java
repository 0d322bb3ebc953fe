package io.convzoo.zoo.summary;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One row of a {@link ModelSummary}: a leaf layer (or, with a depth limit, a collapsed composite).
 * Shapes are per sample with the batch shown as -1, as torchsummary prints them; MACs are per
 * sample.
 *
 * @param name dotted path of child names from the summarized block (DJL's "%02d" prefixes stripped)
 * @param type layer type: the class simple name, or the function name of a lambda block
 * @param outputShapes output shapes, batch dimension -1
 * @param params learnable parameters (BatchNorm running statistics excluded)
 * @param trainableParams those of {@code params} that require a gradient
 * @param macs multiply-accumulates of conv and linear weights per sample
 * @param auxiliaryMacs extra MACs reported apart (e.g. dynamic conv kernel mixing)
 * @param receptiveFieldHeight receptive field of one output value, input pixels along H
 * @param receptiveFieldWidth the same along W
 * @param functional a parameter-free functional op (DJL LambdaBlock), the analogue of an F.* call
 * @param depth nesting depth: children of the summarized block are at depth 1
 */
public record LayerRow(String name, String type, List<long[]> outputShapes, long params,
                       long trainableParams, long macs, long auxiliaryMacs,
                       long receptiveFieldHeight, long receptiveFieldWidth, boolean functional,
                       int depth) {

    public LayerRow {
        outputShapes = List.copyOf(outputShapes);
    }

    /** First output shape, batch -1. */
    public long[] outputShape() {
        return outputShapes.get(0).clone();
    }

    /** Output elements per sample, summed over the outputs. */
    public long outputElements() {
        long total = 0;
        for (long[] shape : outputShapes) {
            long n = 1;
            for (int i = 1; i < shape.length; i++) {
                n *= shape[i];
            }
            total += n;
        }
        return total;
    }

    /** Receptive field of one output value; the larger axis when H and W differ. */
    public long receptiveField() {
        return Math.max(receptiveFieldHeight, receptiveFieldWidth);
    }

    /** "[-1, 10, 24, 24]" as torchsummary prints it; "[[..], [..]]" for several outputs. */
    public String outputShapeText() {
        if (outputShapes.size() == 1) {
            return format(outputShapes.get(0));
        }
        return outputShapes.stream().map(LayerRow::format).collect(Collectors.joining(", ", "[", "]"));
    }

    static String format(long[] shape) {
        return Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    String receptiveFieldText() {
        return receptiveFieldHeight == receptiveFieldWidth ? Long.toString(receptiveFieldHeight)
                : receptiveFieldHeight + "x" + receptiveFieldWidth;
    }
}
