package io.convzoo.serving.api;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What a served model is: its name in URLs, zoo id, family, counts, whether it has trained weights,
 * and the input it takes.
 *
 * @param name name in URLs ({@code /predictions/{name}}), the zoo id
 * @param family zoo family, e.g. {@code res2net}
 * @param dataset {@code imagenet} or {@code fashion-mnist}: fixes preprocessing and class names
 * @param inputShape one item's shape (C, H, W)
 * @param classNames one name per output
 * @param params parameter count
 * @param macs multiply-accumulates of one forward at batch 1
 * @param weights {@code installed} (trained weights loaded) or {@code untrained} (random initialization)
 * @param properties the zoo properties (family, depth, dataset, ...)
 */
public record ServedModel(String name, String family, String dataset, long[] inputShape, List<String> classNames,
                          long params, long macs, String weights, Map<String, String> properties) {

    public static final String WEIGHTS_INSTALLED = "installed";
    public static final String WEIGHTS_UNTRAINED = "untrained";
    /** Property with the test-set accuracy of the served weights, when their serving.properties records it. */
    public static final String TEST_ACCURACY = "testAccuracy";

    public ServedModel {
        if (inputShape.length != 3) {
            throw new IllegalArgumentException("inputShape is (C, H, W), got " + Arrays.toString(inputShape));
        }
        inputShape = inputShape.clone();
        classNames = List.copyOf(classNames);
        properties = Map.copyOf(properties);
    }

    @Override
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** C×H×W. */
    public long itemElements() {
        return inputShape[0] * inputShape[1] * inputShape[2];
    }

    public int numClasses() {
        return classNames.size();
    }

    public boolean untrained() {
        return WEIGHTS_UNTRAINED.equals(weights);
    }
}
