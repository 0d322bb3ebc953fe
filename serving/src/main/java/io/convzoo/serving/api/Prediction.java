package io.convzoo.serving.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One class of a top-k answer, in the shape DJL Serving and TorchServe return.
 *
 * @param className class name
 * @param probability softmax probability
 */
public record Prediction(String className, double probability) {

    /** Softmax (max-subtracted, so large logits do not overflow) of one output row. */
    public static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The {@code k} most probable classes, most probable first (ties: lower index first). */
    public static List<Prediction> topK(float[] logits, List<String> classNames, int k) {
        if (logits.length != classNames.size()) {
            throw new IllegalStateException("model gave " + logits.length + " outputs for " + classNames.size() + " classes");
        }
        double[] p = softmax(logits);
        List<Integer> order = new ArrayList<>(IntStream.range(0, p.length).boxed().toList());
        order.sort(Comparator.comparingDouble((Integer i) -> -p[i]).thenComparingInt(i -> i));
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < Math.min(k, order.size()); i++) {
            int c = order.get(i);
            out.add(new Prediction(classNames.get(c), p[c]));
        }
        return out;
    }
}
