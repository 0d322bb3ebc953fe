package io.convzoo.zoo.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.output.CategoryMask;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.pyconv.PyramidSpec;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ImagePreprocessing;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.pyconv.PyConvResNet;
import io.convzoo.zoo.arch.pyconv.PyConvSegNet;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code Image -> CategoryMask} for PyConvSegNet: ADE20K preprocessing (473×473, ImageNet mean/std),
 * the arg-max class per pixel of the model's logits, scaled to the image's size; the zoo's criteria
 * load the full-size models with it (no full-size forward here: a reduced PyConvSegNet predicts).
 */
class SegmentationCriteriaTest {

    private static PyConvSegNet reduced() {
        return PyConvSegNet.build("pyconvsegnet_reduced", PyConvResNet.builder().bottleneck(1, 1, 1, 1)
                        .widths(16, 16, 32, 64).groups(new int[][] {{1, 2, 4, 4}, {1, 2, 4}, {1, 4}, {1}}),
                new PyConvSegNet.Head(32, 64, 9, 16, 16, PyramidSpec.OFFICIAL_HEAD),
                new ModelArgs(5, 3, false, Map.of(PyConvSegNet.OUTPUT_STRIDE, 16)));
    }

    @Test
    void maskIsTheArgMaxOfTheLogitsAtTheImageSize() throws Exception {
        BufferedImage picture = new BufferedImage(97, 61, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(3);
        for (int y = 0; y < 61; y++) {
            for (int x = 0; x < 97; x++) {
                picture.setRGB(x, y, x < 48 ? random.nextInt(0x1000000) : 0x204080 + y * 0x10101);
            }
        }
        Image image = ImageFactory.getInstance().fromImage(picture);
        try (Model model = Model.newInstance("pyconvsegnet_reduced")) {
            PyConvSegNet net = reduced();
            model.setBlock(net);
            net.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 473, 473));
            Translator<Image, CategoryMask> translator = new ConvZooTranslatorFactory().newInstance(Image.class,
                    CategoryMask.class, model, Map.of("dataset", Datasets.ADE20K, "numClasses", 5));
            CategoryMask mask;
            try (Predictor<Image, CategoryMask> predictor = model.newPredictor(translator)) {
                mask = predictor.predict(image);
            }
            assertEquals(List.of("class_0", "class_1", "class_2", "class_3", "class_4"), mask.getClasses());
            assertEquals(61, mask.getMask().length);
            assertEquals(97, mask.getMask()[0].length);

            try (NDManager m = NDManager.newBaseManager()) {
                NDArray x = m.create(new ImagePreprocessing(Datasets.ADE20K_SPEC).toInput(picture),
                        new Shape(1, 3, 473, 473));
                NDArray logits = TestSupport.infer(net, m, x).singletonOrThrow();
                int[] argMax = logits.get(0).argMax(0).toType(DataType.INT32, false).toIntArray();
                for (int y = 0; y < 61; y++) {
                    int sy = (int) ((y + 0.5) * 473 / 61);
                    for (int xx = 0; xx < 97; xx++) {
                        int sx = (int) ((xx + 0.5) * 473 / 97);
                        assertEquals(argMax[sy * 473 + sx], mask.getMask()[y][xx], "pixel " + y + "," + xx);
                    }
                }
            }
            assertTrue(SegmentationMasks.shares(mask).size() > 1, "a random model should not paint one class");
        }
    }

    @Test
    void zooCriteriaLoadPyConvSegNetForCategoryMasks() throws Exception {
        Criteria<Image, CategoryMask> criteria = Criteria.builder().setTypes(Image.class, CategoryMask.class)
                .optGroupId(ConvZooModelZoo.GROUP_ID).optArtifactId("pyconvsegnet_pyconvresnet50")
                .optArgument("pretrained", false).optArgument("prepare", false)
                .optArgument(PyConvSegNet.OUTPUT_STRIDE, 16).build();
        try (ZooModel<Image, CategoryMask> model = criteria.loadModel()) {
            assertInstanceOf(PyConvSegNet.class, model.getBlock());
            assertEquals(new Shape(1, 150, 473, 473),
                    model.getBlock().getOutputShapes(new Shape[] {new Shape(1, 3, 473, 473)})[0]);
            assertEquals("ade20k", model.getProperty("dataset"));
        }
    }

    @Test
    void palettePaintsEachClassItsOwnColour() {
        int[][] labels = {{0, 1, 2}, {149, 149, 0}};
        CategoryMask mask = new CategoryMask(Datasets.ADE20K_SPEC.classNames(), labels);
        BufferedImage image = SegmentationMasks.colored(mask);
        assertEquals(3, image.getWidth());
        assertEquals(2, image.getHeight());
        assertEquals(0x800000, image.getRGB(0, 0) & 0xFFFFFF); // class 0: bits of 1 -> red high bit
        assertEquals(0x008000, image.getRGB(1, 0) & 0xFFFFFF); // class 1: bits of 2 -> green high bit
        assertEquals(0x808000, image.getRGB(2, 0) & 0xFFFFFF); // class 2: bits of 3
        assertEquals(image.getRGB(0, 1), image.getRGB(1, 1));
        assertEquals(image.getRGB(0, 0), image.getRGB(2, 1));
        long distinct = java.util.stream.IntStream.range(0, 150).map(SegmentationMasks::color).distinct().count();
        assertEquals(150, distinct);
        assertNotEquals(0, SegmentationMasks.color(149));
        List<SegmentationMasks.Share> shares = SegmentationMasks.shares(mask);
        assertEquals(List.of(0, 149, 1, 2), shares.stream().map(SegmentationMasks.Share::classId).toList());
        assertEquals("wall", shares.get(0).name());
        assertArrayEquals(new double[] {2 / 6.0, 2 / 6.0, 1 / 6.0, 1 / 6.0},
                shares.stream().mapToDouble(SegmentationMasks.Share::fraction).toArray(), 1e-12);
    }
}
