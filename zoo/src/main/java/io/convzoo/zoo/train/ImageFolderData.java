package io.convzoo.zoo.train;

import ai.djl.basicdataset.cv.classification.ImageFolder;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.transform.Normalize;
import ai.djl.modality.cv.transform.RandomFlipLeftRight;
import ai.djl.modality.cv.transform.Resize;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.translate.TranslateException;
import io.convzoo.zoo.Datasets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A user's folder of images (one sub-folder per class) as training and validation sets, through
 * DJL's {@link ImageFolder}: images resized to the model's input size, converted to tensors and
 * normalized with the mean/std of a {@link Datasets} spec (converted to luma for a one-channel
 * spec); training images are randomly flipped.
 * If the folder holds {@code train/} and {@code val/} sub-folders they are used as given;
 * otherwise a seeded {@code valFraction} of the images becomes the validation set.
 *
 * @param train training set
 * @param validation validation set
 * @param classNames sub-folder names, in label order
 */
public record ImageFolderData(RandomAccessDataset train, RandomAccessDataset validation, List<String> classNames) {

    /** Loads {@code dir} for a model taking {@code spec.channels()} × size × size inputs. */
    public static ImageFolderData load(Path dir, Datasets spec, int size, int batchSize, double valFraction, long seed)
            throws IOException, TranslateException {
        return load(dir, spec, size, batchSize, valFraction, seed, 0, 0);
    }

    /**
     * As {@link #load(Path, Datasets, int, int, double, long)}, keeping at most {@code trainLimit}
     * training and {@code valLimit} validation images (0: all), a seeded random choice.
     */
    public static ImageFolderData load(Path dir, Datasets spec, int size, int batchSize, double valFraction, long seed,
                                       int trainLimit, int valLimit) throws IOException, TranslateException {
        if (!Files.isDirectory(dir)) {
            throw new java.io.FileNotFoundException("image folder " + dir + " does not exist");
        }
        Path trainDir = dir.resolve("train");
        Path valDir = dir.resolve("val");
        if (Files.isDirectory(trainDir) && Files.isDirectory(valDir)) {
            ImageFolder train = folder(trainDir, spec, size, batchSize, true);
            ImageFolder val = folder(valDir, spec, size, batchSize, false);
            if (!train.getSynset().equals(val.getSynset())) {
                throw new IllegalArgumentException("train/ and val/ of " + dir + " have different classes: "
                        + train.getSynset() + " vs " + val.getSynset());
            }
            return new ImageFolderData(limited(train, trainLimit, seed), limited(val, valLimit, seed + 1),
                    train.getSynset());
        }
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + valFraction);
        }
        ImageFolder train = folder(dir, spec, size, batchSize, true);
        ImageFolder val = folder(dir, spec, size, batchSize, false);
        int n = Math.toIntExact(train.size());
        if (n < 2) {
            throw new IllegalArgumentException("image folder " + dir + " holds " + n + " images; need at least 2");
        }
        List<Long> order = shuffled(n, seed);
        int valCount = Math.max(1, (int) Math.round(n * valFraction));
        List<Long> trainPart = order.subList(valCount, n);
        List<Long> valPart = order.subList(0, valCount);
        return new ImageFolderData(train.subDataset(head(trainPart, trainLimit)), val.subDataset(head(valPart, valLimit)),
                train.getSynset());
    }

    private static List<Long> head(List<Long> indices, int limit) {
        return limit > 0 && limit < indices.size() ? indices.subList(0, limit) : indices;
    }

    private static RandomAccessDataset limited(ImageFolder folder, int limit, long seed) {
        int n = Math.toIntExact(folder.size());
        return limit > 0 && limit < n ? folder.subDataset(shuffled(n, seed).subList(0, limit)) : folder;
    }

    /** 0..n-1 in a seeded random order (Fisher-Yates). */
    static List<Long> shuffled(int n, long seed) {
        List<Long> order = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            order.add(i);
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Long t = order.get(i);
            order.set(i, order.get(j));
            order.set(j, t);
        }
        return order;
    }

    /** (…, 3, H, W) → (…, 1, H, W) with ITU-R 601 weights (DJL applies the pipeline to whole batches). */
    static ai.djl.ndarray.NDArray toGray(ai.djl.ndarray.NDArray image) {
        int axis = image.getShape().dimension() - 3;
        if (image.getShape().get(axis) == 1) {
            return image;
        }
        ai.djl.ndarray.NDArray weights = image.getManager().create(new float[] {0.299f, 0.587f, 0.114f},
                new ai.djl.ndarray.types.Shape(3, 1, 1)).toDevice(image.getDevice(), false);
        return image.mul(weights).sum(new int[] {axis}, true);
    }

    private static ImageFolder folder(Path dir, Datasets spec, int size, int batchSize, boolean augment)
            throws IOException, TranslateException {
        ImageFolder.Builder b = ImageFolder.builder().setRepositoryPath(dir).optMaxDepth(10)
                .optFlag(spec.channels() == 1 ? Image.Flag.GRAYSCALE : Image.Flag.COLOR)
                .addTransform(new Resize(size, size));
        if (augment) {
            b.addTransform(new RandomFlipLeftRight());
        }
        b.addTransform(new ToTensor());
        if (spec.channels() == 1) {
            // the folder may hold colour images: luma as PIL's convert("L"); DJL's Normalize
            // assumes three channels, so one channel is normalized here
            float mean = spec.mean()[0];
            float std = spec.std()[0];
            b.addTransform(x -> toGray(x).sub(mean).div(std));
        } else {
            b.addTransform(new Normalize(spec.mean(), spec.std()));
        }
        b.setSampling(batchSize, false);
        ImageFolder folder = b.build();
        folder.prepare();
        return folder;
    }
}
