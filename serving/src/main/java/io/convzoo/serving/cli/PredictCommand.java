package io.convzoo.serving.cli;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.output.CategoryMask;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.djl.ModelTarget;
import io.convzoo.zoo.djl.SegmentationMasks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code convzoo predict <id|DIR> --input x.npy [--output y.npy]}: the eval-mode forward of a raw
 * float32 NCHW tensor, logits written as {@code .npy} (for parity checks against PyTorch); and
 * {@code convzoo predict <id|DIR> image.jpg}: the top classes of an image, with the model's
 * dataset preprocessing; with {@code --embed}, its pooled pre-logit embedding (printed, or all images'
 * as one (images, C) float32 {@code .npy} with {@code --output}); for a segmentation model
 * (PyConvSegNet) the classes covering each image, and with {@code --output mask.png} (one image) the
 * coloured class mask at the image's size. {@code <id>} loads through the zoo ({@code pretrained=true}, or untrained
 * with {@code --untrained}); {@code DIR} is a directory written by {@code convzoo import}, loaded with
 * {@code Criteria.optModelUrls}.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = {"Run a model in eval mode: logits of a float32 NCHW .npy tensor (--input/--output), "
                + "or the top classes of an image file.",
                "<model> is a model id (its installed pretrained weights, or --untrained) or a directory written by "
                + "'convzoo import'."})
final class PredictCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<model>", description = "Model id or imported model directory.")
    String model;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "<image>",
            description = "Image files (jpg, png, ...): the top classes of each, the model loaded once.")
    List<Path> images = new ArrayList<>();

    @Option(names = "--input", paramLabel = "x.npy", description = "float32 NCHW input tensor (.npy).")
    Path input;

    @Option(names = "--output", paramLabel = "y.npy",
            description = "Where to write the logits (.npy, float32), the embeddings (.npy) or, for a "
                    + "segmentation model and one image, the coloured class mask (.png); printed when absent.")
    Path output;

    @Option(names = "--untrained", description = "With a model id: the untrained model (pretrained=false).")
    boolean untrained;

    @Option(names = "--embed", description = "For images: the pooled pre-logit embedding instead of the top classes.")
    boolean embed;

    @Option(names = "--top", paramLabel = "K", defaultValue = "5", description = "Classes printed for an image (default 5).")
    int top;

    @Override
    public Integer call() {
        try {
            if (images.isEmpty() == (input == null)) {
                throw new IllegalArgumentException("give either an image file or --input x.npy (not both)");
            }
            ModelTarget target = ModelTarget.resolve(model, untrained);
            boolean segmentation = input == null && !embed && isSegmentation(target.id());
            if (output != null && input == null && !embed && !segmentation) {
                throw new IllegalArgumentException("--output is for --input tensors and --embed; an image prints its "
                        + "top classes");
            }
            if (embed && input != null) {
                throw new IllegalArgumentException("--embed is for image files; --input gives the logits");
            }
            if (top < 1) {
                throw new IllegalArgumentException("--top must be at least 1, got " + top);
            }
            if (input != null && !Files.isRegularFile(input)) {
                throw new IllegalArgumentException("input file not found: " + input
                        + " (--input takes a float32 NCHW tensor saved with numpy.save)");
            }
            if (segmentation) {
                return segmentImages(target);
            }
            return input != null ? predictTensor(target) : embed ? embedImages(target) : predictImage(target);
        } catch (IOException | ModelNotFoundException | MalformedModelException | TranslateException
                 | RuntimeException e) {
            return ImportCommand.reportError(e);
        }
    }

    private int predictTensor(ModelTarget target) throws IOException, ModelNotFoundException, MalformedModelException,
            TranslateException {
        try (ZooModel<NDList, NDList> zoo = target.criteria(NDList.class, NDList.class, untrained).build().loadModel();
             Predictor<NDList, NDList> predictor = zoo.newPredictor();
             NDManager manager = zoo.getNDManager().newSubManager()) {
            NDArray x = Npy.read(manager, input);
            Shape shape = x.getShape();
            if (shape.dimension() != 4 || shape.get(1) != target.inputChannels()) {
                throw new IllegalArgumentException(input.getFileName() + " has shape " + shape + "; "
                        + (target.id() == null ? "the model" : target.id()) + " expects a float32 NCHW tensor of shape "
                        + target.expectedShape());
            }
            if (x.getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException(input.getFileName() + " holds " + x.getDataType()
                        + "; expected float32 of shape " + target.expectedShape());
            }
            NDArray logits = predictor.predict(new NDList(x)).head();
            if (output != null) {
                Npy.write(logits, output);
                System.out.println("wrote logits " + logits.getShape() + " to " + output);
            } else {
                float[] values = logits.toFloatArray();
                long rows = logits.getShape().get(0);
                int cols = (int) (values.length / Math.max(1, rows));
                for (int r = 0; r < rows; r++) {
                    StringBuilder sb = new StringBuilder();
                    for (int c = 0; c < cols; c++) {
                        sb.append(c == 0 ? "" : " ").append(values[r * cols + c]);
                    }
                    System.out.println(sb);
                }
            }
        }
        return 0;
    }

    private int predictImage(ModelTarget target) throws IOException, ModelNotFoundException, MalformedModelException,
            TranslateException {
        List<Image> loaded = loadImages();
        Criteria<Image, Classifications> criteria = target.criteria(Image.class, Classifications.class, untrained)
                .optArgument("topK", top).build();
        try (ZooModel<Image, Classifications> zoo = criteria.loadModel();
             Predictor<Image, Classifications> predictor = zoo.newPredictor()) {
            for (int i = 0; i < images.size(); i++) {
                if (images.size() > 1) {
                    System.out.println(images.get(i) + ":");
                }
                Classifications result = predictor.predict(loaded.get(i));
                for (Classifications.Classification c : result.topK(top)) {
                    System.out.printf("%s%-40s %.5f%n", images.size() > 1 ? "  " : "", c.getClassName(),
                            c.getProbability());
                }
            }
        }
        return 0;
    }

    private int embedImages(ModelTarget target) throws IOException, ModelNotFoundException, MalformedModelException,
            TranslateException {
        List<Image> loaded = loadImages();
        try (ZooModel<Image, float[]> zoo = target.criteria(Image.class, float[].class, untrained).build().loadModel();
             Predictor<Image, float[]> predictor = zoo.newPredictor()) {
            List<float[]> embeddings = predictor.batchPredict(loaded);
            if (output != null) {
                int dim = embeddings.get(0).length;
                float[] all = new float[embeddings.size() * dim];
                for (int i = 0; i < embeddings.size(); i++) {
                    System.arraycopy(embeddings.get(i), 0, all, i * dim, dim);
                }
                try (NDManager manager = NDManager.newBaseManager()) {
                    Npy.write(manager.create(all, new Shape(embeddings.size(), dim)), output);
                }
                System.out.println("wrote embeddings (" + embeddings.size() + ", " + dim + ") to " + output);
                return 0;
            }
            for (int i = 0; i < images.size(); i++) {
                StringBuilder sb = new StringBuilder(images.size() > 1 ? images.get(i) + ":" : "");
                for (float v : embeddings.get(i)) {
                    sb.append(sb.length() == 0 ? "" : " ").append(v);
                }
                System.out.println(sb);
            }
        }
        return 0;
    }

    /** Whether {@code model} names a registered segmentation model (task=segmentation). */
    private static boolean isSegmentation(String id) {
        return id != null && ModelRegistry.find(id).map(s -> "segmentation".equals(s.properties().get("task"))).orElse(false);
    }

    private int segmentImages(ModelTarget target) throws IOException, ModelNotFoundException,
            MalformedModelException, TranslateException {
        if (output != null && images.size() != 1) {
            throw new IllegalArgumentException("--output writes the mask of one image, got " + images.size() + " images");
        }
        if (output != null && !output.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
            throw new IllegalArgumentException("--output of a segmentation model is a .png mask, got " + output);
        }
        List<Image> loaded = loadImages();
        try (ZooModel<Image, CategoryMask> zoo = target.criteria(Image.class, CategoryMask.class, untrained).build()
                .loadModel();
             Predictor<Image, CategoryMask> predictor = zoo.newPredictor()) {
            for (int i = 0; i < images.size(); i++) {
                CategoryMask mask = predictor.predict(loaded.get(i));
                if (images.size() > 1) {
                    System.out.println(images.get(i) + ":");
                }
                List<SegmentationMasks.Share> shares = SegmentationMasks.shares(mask);
                for (SegmentationMasks.Share share : shares.subList(0, Math.min(top, shares.size()))) {
                    System.out.printf("%s%-40s %.5f%n", images.size() > 1 ? "  " : "", share.name(), share.fraction());
                }
                if (output != null) {
                    javax.imageio.ImageIO.write(SegmentationMasks.colored(mask), "png", output.toFile());
                    System.out.println("wrote mask " + mask.getMask()[0].length + "x" + mask.getMask().length + " to "
                            + output);
                }
            }
        }
        return 0;
    }

    private List<Image> loadImages() throws IOException {
        List<Image> loaded = new ArrayList<>();
        for (Path image : images) {
            if (!Files.isRegularFile(image)) {
                throw new IllegalArgumentException("image not found: " + image);
            }
            loaded.add(ImageFactory.getInstance().fromFile(image));
        }
        return loaded;
    }
}
