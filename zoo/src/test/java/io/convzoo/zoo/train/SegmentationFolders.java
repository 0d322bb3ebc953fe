package io.convzoo.zoo.train;

import ai.djl.Model;
import io.convzoo.blocks.pyconv.PyramidSpec;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.pyconv.PyConvResNet;
import io.convzoo.zoo.arch.pyconv.PyConvSegNet;
import io.convzoo.zoo.djl.ConvZooModelLoader;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Synthetic segmentation folders in ADE20K's layout for the tests, and a reduced-width PyConvSegNet
 * (the widths of PyConvSegNetParityTest's reduced configuration).
 */
final class SegmentationFolders {

    /** Names of the annotation labels 1..3: a grey background, red and green rectangles. */
    static final List<String> CLASSES = List.of("background", "red box", "green box");
    private static final int[][] COLORS = {{70, 70, 70}, {200, 40, 40}, {40, 190, 60}};

    private SegmentationFolders() {}

    /**
     * Writes {@code train} and {@code val} size×size images of one or two coloured rectangles on the
     * background, their annotations (labels 1..3; each rectangle's outline 0, "other") and classes.txt.
     */
    static Path rectangles(Path root, int train, int val, int size, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        for (SegmentationFolder.Split split : SegmentationFolder.Split.values()) {
            int n = split == SegmentationFolder.Split.TRAINING ? train : val;
            Path images = Files.createDirectories(root.resolve("images").resolve(split.folder()));
            Path annotations = Files.createDirectories(root.resolve("annotations").resolve(split.folder()));
            for (int i = 0; i < n; i++) {
                int[][] labels = new int[size][size];
                for (int[] row : labels) {
                    java.util.Arrays.fill(row, 1);
                }
                int boxes = 1 + random.nextInt(2);
                for (int b = 0; b < boxes; b++) {
                    int label = 2 + random.nextInt(2);
                    int h = size / 3 + random.nextInt(size / 3);
                    int w = size / 3 + random.nextInt(size / 3);
                    int y0 = random.nextInt(size - h);
                    int x0 = random.nextInt(size - w);
                    for (int y = y0; y < y0 + h; y++) {
                        for (int x = x0; x < x0 + w; x++) {
                            boolean edge = y == y0 || x == x0 || y == y0 + h - 1 || x == x0 + w - 1;
                            labels[y][x] = edge ? 0 : label;
                        }
                    }
                }
                String name = String.format("img_%s_%03d", split.folder(), i);
                writeLabels(annotations.resolve(name + ".png"), labels);
                writeImage(images.resolve(name + ".png"), labels, random);
            }
        }
        Files.write(root.resolve(SegmentationFolder.CLASSES_FILE), CLASSES);
        return root;
    }

    /** A single-channel 8-bit PNG of the labels. */
    static void writeLabels(Path png, int[][] labels) throws IOException {
        BufferedImage image = new BufferedImage(labels[0].length, labels.length, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < labels.length; y++) {
            for (int x = 0; x < labels[0].length; x++) {
                image.getRaster().setSample(x, y, 0, labels[y][x]);
            }
        }
        ImageIO.write(image, "png", png.toFile());
    }

    /** The picture of the labels: each class its colour with a little noise; outlines take the box colour. */
    private static void writeImage(Path png, int[][] labels, SplittableRandom random) throws IOException {
        int h = labels.length;
        int w = labels[0].length;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int label = labels[y][x] == 0 ? 2 : labels[y][x];
                int[] c = COLORS[label - 1];
                int rgb = 0;
                for (int k = 0; k < 3; k++) {
                    rgb = (rgb << 8) | Math.max(0, Math.min(255, c[k] + random.nextInt(31) - 15));
                }
                image.setRGB(x, y, rgb);
            }
        }
        ImageIO.write(image, "png", png.toFile());
    }

    /** PyConvSegNet with PyConvSegNetParityTest's reduced widths, {@code classes} outputs. */
    static PyConvSegNet reducedNet(int classes, float dropout) {
        ModelArgs args = new ModelArgs(classes, 3, false, Map.of(PyConvSegNet.OUTPUT_STRIDE, 8,
                PyConvSegNet.DROPOUT, dropout));
        return PyConvSegNet.build("pyconvsegnet_reduced", PyConvResNet.builder().bottleneck(1, 1, 1, 1)
                        .widths(16, 16, 32, 64).groups(new int[][] {{1, 2, 4, 4}, {1, 2, 4}, {1, 4}, {1}}),
                new PyConvSegNet.Head(32, 64, 9, 16, 16, PyramidSpec.OFFICIAL_HEAD), args);
    }

    /** A model holding {@code net}, initialized as {@code convzoo finetune} initializes an untrained one. */
    static Model model(PyConvSegNet net, int classes, int inputSize) {
        Model model = Model.newInstance("pyconvsegnet_reduced");
        model.setBlock(net);
        ConvZooModelLoader.initializeUntrained(net, model, new ModelArgs(classes, 3, false, Map.of()), inputSize);
        return model;
    }
}
