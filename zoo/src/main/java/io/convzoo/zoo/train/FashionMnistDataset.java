package io.convzoo.zoo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import io.convzoo.zoo.Datasets;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fashion-MNIST as a DJL {@link ai.djl.training.dataset.RandomAccessDataset}, read from its four IDX files (gzip'd or not)
 * in a directory: by default {@value #DEFAULT_DIRECTORY} (Debian package
 * {@code dataset-fashion-mnist}). Each record is a (1, 28, 28) float image normalized with the
 * mean/std of {@link Datasets#FASHION_MNIST_SPEC} and a scalar float label 0..9.
 *
 * <p>Training augmentation (optional): a random crop of 28×28 from the image zero-padded by
 * {@code padding} pixels on each side (i.e. a shift of up to ±padding; 2–4 is usual) and a random
 * horizontal flip. The random draws depend only on (seed, epoch, sample) — see {@link EpochAware} —
 * so they are reproducible and identical after a resume.
 *
 * <p>Subsets for quick runs: the first N images, or N images stratified over the classes (the
 * first N/10 of each class, in file order).
 */
public final class FashionMnistDataset extends SeededDataset {

    /** Where Debian's {@code dataset-fashion-mnist} installs the files. */
    public static final String DEFAULT_DIRECTORY = "/usr/share/datasets/fashion-mnist";
    /** Image side. */
    public static final int SIZE = 28;
    /** Number of classes. */
    public static final int NUM_CLASSES = 10;

    /** Which split to read. */
    public enum Split {
        TRAIN("train"),
        TEST("t10k");

        final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    private final Path directory;
    private final Split split;
    private final boolean augment;
    private final int padding;
    private final boolean flip;
    private final int subset;
    private final boolean stratified;
    private final float mean;
    private final float std;

    private byte[] images;
    private byte[] labels;
    private int[] indices;

    private FashionMnistDataset(Builder b) {
        super(b);
        this.directory = b.directory;
        this.split = b.split;
        this.augment = b.augment;
        this.padding = b.padding;
        this.flip = b.flip;
        this.subset = b.subset;
        this.stratified = b.stratified;
        this.mean = Datasets.FASHION_MNIST_SPEC.mean()[0];
        this.std = Datasets.FASHION_MNIST_SPEC.std()[0];
    }

    /** A builder; call {@link Builder#setBatch} (or DJL's setSampling) before build. */
    public static Builder builder() {
        return new Builder();
    }

    /** The default directory, or the one named by the system property {@code convzoo.fashionMnist}. */
    public static Path defaultDirectory() {
        String dir = System.getProperty("convzoo.fashionMnist");
        return Paths.get(dir == null || dir.isBlank() ? DEFAULT_DIRECTORY : dir);
    }

    /** True when both splits' files are present in {@code dir}. */
    public static boolean isInstalled(Path dir) {
        for (Split s : Split.values()) {
            if (find(dir, s.prefix + "-images-idx3-ubyte") == null || find(dir, s.prefix + "-labels-idx1-ubyte") == null) {
                return false;
            }
        }
        return true;
    }

    /** The message telling a user how to get the dataset. */
    public static String howToInstall(Path dir) {
        return "Fashion-MNIST not found in " + dir + " (expected train-images-idx3-ubyte.gz, "
                + "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, gzip'd or not). "
                + "Install it with 'apt-get install dataset-fashion-mnist' (files in " + DEFAULT_DIRECTORY
                + ") or pass the directory holding them with --data DIR.";
    }

    /** The raw 28×28 images of {@code split} in {@code dir} (count × 784 unsigned bytes), without labels. */
    public static IdxFile readImages(Path dir, Split split) throws IOException {
        Path imageFile = find(dir, split.prefix + "-images-idx3-ubyte");
        if (imageFile == null) {
            throw new FileNotFoundException(howToInstall(dir));
        }
        IdxFile img = IdxFile.read(imageFile, 3);
        if (img.dims()[1] != SIZE || img.dims()[2] != SIZE) {
            throw new IOException("IDX images " + imageFile + " are " + img.dims()[1] + "×" + img.dims()[2]
                    + ", expected 28×28 (Fashion-MNIST)");
        }
        return img;
    }

    private static Path find(Path dir, String stem) {
        for (String name : List.of(stem + ".gz", stem)) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public void prepare(Progress progress) throws IOException {
        if (images != null) {
            return;
        }
        Path labelFile = find(directory, split.prefix + "-labels-idx1-ubyte");
        if (labelFile == null) {
            throw new FileNotFoundException(howToInstall(directory));
        }
        IdxFile img = readImages(directory, split);
        IdxFile lab = IdxFile.read(labelFile, 1);
        if (img.count() != lab.count()) {
            throw new IOException("IDX files disagree: the images file holds " + img.count() + " images but "
                    + labelFile + " holds " + lab.count() + " labels");
        }
        for (int i = 0; i < lab.count(); i++) {
            int l = lab.data()[i] & 0xff;
            if (l >= NUM_CLASSES) {
                throw new IOException("IDX labels " + labelFile + ": label " + l + " at index " + i
                        + " is not a class 0..9");
            }
        }
        int[] chosen = select(lab.data(), lab.count());
        images = img.data();
        labels = lab.data();
        indices = chosen;
    }

    private int[] select(byte[] labelBytes, int count) {
        if (subset <= 0 || subset >= count) {
            int[] all = new int[count];
            Arrays.setAll(all, i -> i);
            return all;
        }
        if (!stratified) {
            int[] first = new int[subset];
            Arrays.setAll(first, i -> i);
            return first;
        }
        int[] quota = new int[NUM_CLASSES];
        for (int c = 0; c < NUM_CLASSES; c++) {
            quota[c] = subset / NUM_CLASSES + (c < subset % NUM_CLASSES ? 1 : 0);
        }
        int[] out = new int[subset];
        int n = 0;
        for (int i = 0; i < count && n < subset; i++) {
            int c = labelBytes[i] & 0xff;
            if (quota[c] > 0) {
                quota[c]--;
                out[n++] = i;
            }
        }
        return n == subset ? out : Arrays.copyOf(out, n);
    }

    private void requirePrepared() {
        if (images == null) {
            throw new IllegalStateException("call prepare() before reading FashionMnistDataset");
        }
    }

    @Override
    protected long availableSize() {
        requirePrepared();
        return indices.length;
    }

    /** The label (0..9) of record {@code index}. */
    public int label(long index) {
        requirePrepared();
        return labels[indices[Math.toIntExact(index)]] & 0xff;
    }

    /** The class names of the dataset. */
    public List<String> classNames() {
        return Datasets.FASHION_MNIST_SPEC.classNames();
    }

    /** Normalized (and, when enabled, augmented) pixels of record {@code index}, row-major 28×28. */
    public float[] pixels(long index) {
        requirePrepared();
        int src = indices[Math.toIntExact(index)];
        int base = src * SIZE * SIZE;
        float[] out = new float[SIZE * SIZE];
        int dx = 0;
        int dy = 0;
        boolean mirror = false;
        if (augment) {
            SplittableRandom r = new SplittableRandom(EpochAware.sampleSeed(seed, epoch, src));
            dx = padding == 0 ? 0 : r.nextInt(2 * padding + 1) - padding;
            dy = padding == 0 ? 0 : r.nextInt(2 * padding + 1) - padding;
            mirror = flip && r.nextBoolean();
        }
        float zero = (0f - mean) / std;
        for (int y = 0; y < SIZE; y++) {
            int sy = y + dy;
            for (int x = 0; x < SIZE; x++) {
                int sx = (mirror ? SIZE - 1 - x : x) + dx;
                float v;
                if (sy < 0 || sy >= SIZE || sx < 0 || sx >= SIZE) {
                    v = zero;
                } else {
                    v = ((images[base + sy * SIZE + sx] & 0xff) / 255f - mean) / std;
                }
                out[y * SIZE + x] = v;
            }
        }
        return out;
    }

    @Override
    public Record get(NDManager manager, long index) {
        NDArray image = manager.create(pixels(index), new Shape(1, SIZE, SIZE));
        NDArray label = manager.create((float) label(index));
        return new Record(new NDList(image), new NDList(label));
    }

    /** Builder of {@link FashionMnistDataset}. */
    public static final class Builder extends SeededDataset.Builder<Builder> {

        private Path directory = defaultDirectory();
        private Split split = Split.TRAIN;
        private boolean augment;
        private int padding = 2;
        private boolean flip = true;
        private int subset;
        private boolean stratified = true;

        @Override
        protected Builder self() {
            return this;
        }

        /** Directory with the IDX files (default {@link #defaultDirectory()}). */
        public Builder optDirectory(Path dir) {
            this.directory = dir;
            return this;
        }

        /** TRAIN (60,000 images) or TEST (10,000). */
        public Builder optSplit(Split split) {
            this.split = split;
            return this;
        }

        /** Random crop with {@code padding} (0..8) and, if {@code flip}, random horizontal flips. */
        public Builder optAugmentation(int padding, boolean flip) {
            if (padding < 0 || padding > 8) {
                throw new IllegalArgumentException("crop padding must be in 0..8, got " + padding);
            }
            this.augment = true;
            this.padding = padding;
            this.flip = flip;
            return this;
        }

        /** Only {@code n} images: the first n, or (stratified) about n/10 per class. */
        public Builder optSubset(int n, boolean stratified) {
            if (n < 1) {
                throw new IllegalArgumentException("subset size must be >= 1, got " + n);
            }
            this.subset = n;
            this.stratified = stratified;
            return this;
        }

        /** Builds the dataset (files are read by {@code prepare()}). */
        public FashionMnistDataset build() {
            applySampling();
            return new FashionMnistDataset(this);
        }
    }
}
