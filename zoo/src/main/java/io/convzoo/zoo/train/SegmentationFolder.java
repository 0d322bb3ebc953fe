package io.convzoo.zoo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ImagePreprocessing;
import io.convzoo.zoo.djl.SegmentationMasks;
import java.awt.image.BufferedImage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * A semantic-segmentation folder in ADE20K's layout as a DJL {@link ai.djl.training.dataset.RandomAccessDataset}:
 * {@code images/<split>/NAME.jpg|png} with {@code annotations/<split>/NAME.png} ({@code split}
 * {@code training} or {@code validation}), the annotation a single-channel PNG of the same size
 * holding a label per pixel, 0 = "other" and 1..K the classes. Labels are shifted as
 * iduta/pyconvsegnet trains on ADE20K (its README: "subtracting 1"): 1..K → 0..K−1, 0 → 255
 * ({@link SegmentationLoss#IGNORE_LABEL}, left out of the loss and the metrics). Class names come
 * from {@code classes.txt} in the root (one a line, label 1 first), else from the caller (ADE20K's).
 *
 * <p>Each record: the image (3, crop, crop) normalized with the dataset's mean/std and its
 * (crop, crop) INT32 label map. Training (augmentation on) follows the official train transform
 * without its rotation and Gaussian blur: a random scale in [0.5, 2] (bilinear for the image,
 * nearest for the labels), a random horizontal flip, then a random crop; validation takes the
 * official centre crop. Where the image is smaller than the crop it is padded with the mean (0 after
 * normalization) and the labels with 255. The draws depend only on (seed, epoch, sample)
 * ({@link EpochAware}).
 */
public final class SegmentationFolder extends SeededDataset {

    /** Class names beside {@code images/} and {@code annotations/}, one a line, label 1 first. */
    public static final String CLASSES_FILE = "classes.txt";
    /** The official random scale range (ADE20K config {@code scale_min}, {@code scale_max}). */
    public static final float SCALE_MIN = 0.5f;
    public static final float SCALE_MAX = 2.0f;
    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png");

    /** The two splits of ADE20K's layout. */
    public enum Split {
        TRAINING, VALIDATION;

        /** The folder name under {@code images/} and {@code annotations/}. */
        public String folder() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One image and its annotation. */
    record Sample(Path image, Path annotation) {}

    private final Path root;
    private final Split split;
    private final int cropSize;
    private final int numClasses;
    private final boolean augment;
    private final float scaleMin;
    private final float scaleMax;
    private final int limit;
    private final float[] mean;
    private final float[] std;
    private final List<Sample> samples;
    private List<Sample> chosen;

    private SegmentationFolder(Builder b) {
        super(b);
        this.root = b.root;
        this.split = b.split;
        this.cropSize = b.cropSize;
        this.numClasses = b.numClasses;
        this.augment = b.augment;
        this.scaleMin = b.scaleMin;
        this.scaleMax = b.scaleMax;
        this.limit = b.limit;
        this.mean = b.data.mean();
        this.std = b.data.std();
        this.samples = b.samples;
    }

    /** A builder of {@code split} of the folder at {@code root}. */
    public static Builder builder(Path root, Split split) {
        return new Builder(root, split);
    }

    /** The class names of {@code root}: its {@link #CLASSES_FILE}, else {@code fallback}. */
    public static List<String> classNames(Path root, List<String> fallback) throws IOException {
        Path file = root.resolve(CLASSES_FILE);
        if (!Files.isRegularFile(file)) {
            return fallback;
        }
        List<String> names = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                .filter(l -> !l.isEmpty()).toList();
        if (names.size() < 2 || names.size() > SegmentationLoss.IGNORE_LABEL - 1) {
            throw new IllegalArgumentException(file + " names " + names.size() + " classes; a segmentation dataset needs "
                    + "2.." + (SegmentationLoss.IGNORE_LABEL - 1));
        }
        return names;
    }

    /** Every image of the split with its annotation, by file name; a missing folder or annotation is named. */
    static List<Sample> list(Path root, Split split) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new FileNotFoundException("segmentation folder " + root + " does not exist");
        }
        Path images = root.resolve("images").resolve(split.folder());
        Path annotations = root.resolve("annotations").resolve(split.folder());
        for (Path dir : List.of(images, annotations)) {
            if (!Files.isDirectory(dir)) {
                throw new FileNotFoundException("segmentation folder " + root + " has no " + root.relativize(dir)
                        + "/ (expected ADE20K's layout: images/{training,validation}/NAME.jpg|png and "
                        + "annotations/{training,validation}/NAME.png)");
            }
        }
        List<Sample> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(images)) {
            for (Path image : files.sorted().toList()) {
                String name = image.getFileName().toString();
                int dot = name.lastIndexOf('.');
                if (dot < 0 || !IMAGE_EXTENSIONS.contains(name.substring(dot).toLowerCase(Locale.ROOT))
                        || !Files.isRegularFile(image)) {
                    continue;
                }
                Path annotation = annotations.resolve(name.substring(0, dot) + ".png");
                if (!Files.isRegularFile(annotation)) {
                    throw new FileNotFoundException("image " + image + " has no annotation " + annotation);
                }
                out.add(new Sample(image, annotation));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(images + " holds no .jpg or .png images");
        }
        return out;
    }

    /** Checks that every chosen image and its annotation have the same size (read from the file headers). */
    @Override
    public void prepare(Progress progress) throws IOException {
        if (chosen != null) {
            return;
        }
        List<Sample> picked = samples;
        if (limit > 0 && limit < samples.size()) {
            picked = new ArrayList<>();
            for (long i : ImageFolderData.shuffled(samples.size(), seed).subList(0, limit)) {
                picked.add(samples.get((int) i));
            }
        }
        for (Sample s : picked) {
            int[] image = headerSize(s.image());
            int[] annotation = headerSize(s.annotation());
            if (image[0] != annotation[0] || image[1] != annotation[1]) {
                throw new IllegalArgumentException("image " + s.image() + " is " + image[0] + "x" + image[1]
                        + " but its annotation " + s.annotation() + " is " + annotation[0] + "x" + annotation[1]);
            }
        }
        chosen = picked;
    }

    /** Width and height of an image file from its header. */
    private static int[] headerSize(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IOException("cannot read " + file + ": not an image format Java reads (jpg, png)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        }
    }

    @Override
    protected long availableSize() {
        requirePrepared();
        return chosen.size();
    }

    private void requirePrepared() {
        if (chosen == null) {
            throw new IllegalStateException("call prepare() before reading SegmentationFolder");
        }
    }

    /** An image and its label map as the model sees them: (3, crop, crop) row-major and (crop, crop). */
    public record Crop(float[] image, int[] labels) {}

    /** Record {@code index}: read, shifted, (when augmenting) scaled and flipped, cropped, normalized. */
    public Crop crop(long index) {
        requirePrepared();
        Sample s = chosen.get(Math.toIntExact(index));
        BufferedImage image = read(s.image());
        BufferedImage annotation = read(s.annotation());
        int w = image.getWidth();
        int h = image.getHeight();
        if (annotation.getWidth() != w || annotation.getHeight() != h) {
            throw new IllegalArgumentException("image " + s.image() + " is " + w + "x" + h + " but its annotation "
                    + s.annotation() + " is " + annotation.getWidth() + "x" + annotation.getHeight());
        }
        int[] labels = labels(annotation, s.annotation());
        SplittableRandom random = new SplittableRandom(EpochAware.sampleSeed(seed, epoch, index));
        float scale = augment ? scaleMin + (scaleMax - scaleMin) * (float) random.nextDouble() : 1f;
        int sh = Math.max(1, Math.round(h * scale));
        int sw = Math.max(1, Math.round(w * scale));
        float[] chw = ImagePreprocessing.resizeBilinear(ImagePreprocessing.pixels(image, 3), h, w, 3, sh, sw);
        int[][] scaled = SegmentationMasks.scaleNearest(labels, h, w, sh, sw);
        boolean flip = augment && random.nextBoolean();
        int padH = Math.max(cropSize - sh, 0);
        int padW = Math.max(cropSize - sw, 0);
        int offY = augment ? random.nextInt(sh + padH - cropSize + 1) : (sh + padH - cropSize) / 2;
        int offX = augment ? random.nextInt(sw + padW - cropSize + 1) : (sw + padW - cropSize) / 2;
        int top = padH / 2;
        int left = padW / 2;
        int plane = cropSize * cropSize;
        float[] out = new float[3 * plane];
        int[] outLabels = new int[plane];
        for (int y = 0; y < cropSize; y++) {
            int sy = y + offY - top;
            for (int x = 0; x < cropSize; x++) {
                int sx = x + offX - left;
                int i = y * cropSize + x;
                if (sy < 0 || sy >= sh || sx < 0 || sx >= sw) {
                    outLabels[i] = SegmentationLoss.IGNORE_LABEL; // image padding: the mean, 0 once normalized
                    continue;
                }
                int col = flip ? sw - 1 - sx : sx;
                outLabels[i] = scaled[sy][col];
                for (int c = 0; c < 3; c++) {
                    out[c * plane + i] = (chw[(c * sh + sy) * sw + col] - mean[c]) / std[c];
                }
            }
        }
        return new Crop(out, outLabels);
    }

    /** The annotation's labels, shifted: 0 → 255, k → k − 1; a label beyond the classes is named. */
    private int[] labels(BufferedImage annotation, Path file) {
        if (annotation.getRaster().getNumBands() != 1) {
            throw new IllegalArgumentException("annotation " + file + " has " + annotation.getRaster().getNumBands()
                    + " channels; expected a single-channel PNG holding the label of each pixel");
        }
        int[] raw = annotation.getRaster().getPixels(0, 0, annotation.getWidth(), annotation.getHeight(), (int[]) null);
        for (int i = 0; i < raw.length; i++) {
            int v = raw[i];
            if (v > numClasses) {
                throw new IllegalArgumentException("annotation " + file + " holds label " + v + " at pixel ("
                        + i % annotation.getWidth() + ", " + i / annotation.getWidth() + "); labels must be 0 (other) or "
                        + "1.." + numClasses + " (the dataset's classes)");
            }
            raw[i] = v == 0 ? SegmentationLoss.IGNORE_LABEL : v - 1;
        }
        return raw;
    }

    private static BufferedImage read(Path file) {
        try {
            BufferedImage image = ImageIO.read(file.toFile());
            if (image == null) {
                throw new IllegalArgumentException("cannot decode " + file + " (not a jpg or png)");
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public Record get(NDManager manager, long index) {
        Crop crop = crop(index);
        NDArray image = manager.create(crop.image(), new Shape(3, cropSize, cropSize));
        NDArray labels = manager.create(crop.labels(), new Shape(cropSize, cropSize));
        return new Record(new NDList(image), new NDList(labels));
    }

    /** Builder of {@link SegmentationFolder}; the folder is listed (and missing files named) by build. */
    public static final class Builder extends SeededDataset.Builder<Builder> {

        private final Path root;
        private final Split split;
        private int cropSize = Datasets.ADE20K_SPEC.cropSize();
        private int numClasses = Datasets.ADE20K_SPEC.classNames().size();
        private boolean augment;
        private float scaleMin = SCALE_MIN;
        private float scaleMax = SCALE_MAX;
        private int limit;
        private Datasets data = Datasets.ADE20K_SPEC;
        private List<Sample> samples;

        Builder(Path root, Split split) {
            this.root = root;
            this.split = split;
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** Side of the square crops (default 473, the official; PyConvSegNet takes 8k + 1). */
        public Builder optCropSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("crop size must be >= 1, got " + size);
            }
            this.cropSize = size;
            return this;
        }

        /** Classes of the annotations: labels 1..n (default ADE20K's 150). */
        public Builder optNumClasses(int n) {
            if (n < 2 || n > SegmentationLoss.IGNORE_LABEL - 1) {
                throw new IllegalArgumentException("a segmentation dataset has 2.." + (SegmentationLoss.IGNORE_LABEL - 1)
                        + " classes, got " + n);
            }
            this.numClasses = n;
            return this;
        }

        /** The training augmentation: random scale in [min, max], flip, random crop (off: the centre crop). */
        public Builder optAugmentation(float min, float max) {
            if (!(min > 0 && min <= max)) {
                throw new IllegalArgumentException("random scale range must satisfy 0 < min <= max, got " + min + ", "
                        + max);
            }
            this.augment = true;
            this.scaleMin = min;
            this.scaleMax = max;
            return this;
        }

        /** Mean and std of the normalization (default ADE20K's: ImageNet's). */
        public Builder optNormalization(Datasets data) {
            if (data.channels() != 3) {
                throw new IllegalArgumentException("segmentation images are RGB; " + data.name() + " has "
                        + data.channels() + " channel(s)");
            }
            this.data = data;
            return this;
        }

        /** Only {@code n} images, a seeded random choice (0: all). */
        public Builder optLimit(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("limit must be >= 0, got " + n);
            }
            this.limit = n;
            return this;
        }

        /** Lists the split; a missing folder, an empty one or an image without annotation is an error. */
        public SegmentationFolder build() throws IOException {
            samples = list(root, split);
            applySampling();
            return new SegmentationFolder(this);
        }
    }
}
