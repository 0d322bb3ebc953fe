package io.convzoo.zoo;

import java.util.List;

/**
 * What a model's {@code dataset} property implies for inference: input channels and size, the
 * preprocessing (resize, center crop, mean/std) and the class names.
 *
 * @param name dataset property value
 * @param channels image channels the model expects
 * @param resize shorter-side resize before the crop (0: resize straight to {@code cropSize})
 * @param cropSize square center crop fed to the model
 * @param mean per-channel mean after scaling pixels to [0, 1]
 * @param std per-channel standard deviation
 * @param classNames class names, or empty when they come with the weights (synset.txt)
 */
public record Datasets(String name, int channels, int resize, int cropSize, float[] mean, float[] std,
                       List<String> classNames) {

    public static final String IMAGENET = "imagenet";
    public static final String FASHION_MNIST = "fashion-mnist";
    public static final String CIFAR10 = "cifar10";

    /** ImageNet: resize 256, center crop 224, the usual mean/std. */
    public static final Datasets IMAGENET_SPEC = new Datasets(IMAGENET, 3, 256, 224,
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f}, List.of());

    /** Fashion-MNIST: 28×28 grayscale, its own mean/std, the ten class names of the dataset. */
    public static final Datasets FASHION_MNIST_SPEC = new Datasets(FASHION_MNIST, 1, 0, 28,
            new float[] {0.2860f}, new float[] {0.3530f},
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                    "Bag", "Ankle boot"));

    /** CIFAR-10: 32×32 RGB, the training set's mean/std, the ten class names (HetConv's VGG-16). */
    public static final Datasets CIFAR10_SPEC = new Datasets(CIFAR10, 3, 0, 32,
            new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2470f, 0.2435f, 0.2616f},
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"));

    /** The spec of a dataset property value. */
    public static Datasets of(String dataset) {
        return switch (dataset) {
            case IMAGENET -> IMAGENET_SPEC;
            case FASHION_MNIST -> FASHION_MNIST_SPEC;
            case CIFAR10 -> CIFAR10_SPEC;
            default -> throw new IllegalArgumentException("unknown dataset '" + dataset
                    + "'; known: " + IMAGENET + ", " + FASHION_MNIST + ", " + CIFAR10);
        };
    }

    /** Class names for {@code numClasses} outputs: the dataset's own when they fit, else class_N. */
    public List<String> classNamesFor(int numClasses) {
        if (classNames.size() == numClasses) {
            return classNames;
        }
        return java.util.stream.IntStream.range(0, numClasses).mapToObj(i -> "class_" + i).toList();
    }
}
