package io.convzoo.serving.cli;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.dataset.RandomAccessDataset;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.djl.ConvZooModelLoader;
import io.convzoo.zoo.djl.PretrainedWeights;
import io.convzoo.zoo.train.FashionMnistDataset;
import io.convzoo.zoo.train.FineTuneConfig;
import io.convzoo.zoo.train.FineTuner;
import io.convzoo.zoo.train.FineTuneOutput;
import io.convzoo.zoo.train.ImageFolderData;
import io.convzoo.zoo.train.ModelSurgery;
import io.convzoo.zoo.train.SegmentationFolder;
import io.convzoo.zoo.arch.pyconv.PyConvSegNet;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code convzoo finetune <id> --data <folder|fashion-mnist> --epochs N --out DIR}: builds
 * the model for the data's classes and channels (from installed pretrained weights with
 * {@code --pretrained}: matching weights are copied, the stem adapted, the head new), trains it with
 * {@link FineTuner} and writes history.json, PNG charts, checkpoints, model.params (final),
 * model-best.params, finetune.json, and makes DIR a model directory with the best weights (or the
 * final ones, {@code --export final}): {@code <id>-0000.params}, serving.properties and synset.txt
 * (the class names: an image folder's sub-folder names), so {@code predict DIR}, {@code eval DIR},
 * {@code export DIR}, {@code serve --model DIR} and {@code Criteria.optModelUrls} load it
 * ({@link FineTuneOutput#makeModelDirectory}). A segmentation model (PyConvSegNet) trains on a folder in
 * ADE20K's layout ({@link SegmentationFolder}) with {@link io.convzoo.zoo.train.SegmentationLoss} (main +
 * {@code --aux-weight} × aux), pixel accuracy and mIoU; its run directory predicts masks
 * ({@code predict DIR img.png --output mask.png}).
 */
@Command(name = "finetune", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = {"Fine-tune a zoo model on Fashion-MNIST or a folder of images (one sub-folder per class).",
                "A segmentation model (pyconvsegnet_*) takes a folder in ADE20K's layout: images/{training,validation}/"
                        + "NAME.jpg|png and annotations/{training,validation}/NAME.png (label 0 = other, ignored; "
                        + "1..K the classes, named by an optional classes.txt, else ADE20K's 150)."})
public final class FinetuneCommand implements Callable<Integer> {

    @picocli.CommandLine.Parameters(index = "0", arity = "0..1", paramLabel = "<id>",
            description = "Model id (see 'convzoo models'), as the other commands take it.")
    String positionalId;

    /** The former way to name the model; kept so existing scripts run. */
    @Option(names = "--model", paramLabel = "<id>", description = "Same as the <id> argument.")
    String modelId;

    @Option(names = "--data", defaultValue = "fashion-mnist", paramLabel = "<folder|fashion-mnist>",
            description = "'fashion-mnist' or an image folder (class sub-folders, or train/ and val/); for a "
                    + "segmentation model a folder in ADE20K's layout. Default: ${DEFAULT-VALUE}.")
    String data;

    @Option(names = "--fashion-mnist-dir", paramLabel = "DIR",
            description = "Directory of the Fashion-MNIST IDX files (default " + FashionMnistDataset.DEFAULT_DIRECTORY + ").")
    Path fashionDir;

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--batch-size", defaultValue = "64", description = "Images per step (default ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd or adamw (default ${DEFAULT-VALUE}).")
    String optimizer;
    @Option(names = "--lr", description = "Peak learning rate (default for SGD: 0.05 from scratch, "
            + "0.01 with --pretrained; AdamW: 0.001).") Float lr;
    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE}).")
    float momentum;
    @Option(names = "--no-nesterov", description = "Plain momentum instead of Nesterov.") boolean noNesterov;
    @Option(names = "--weight-decay", description = "Default 5e-4 (SGD), 0.05 (AdamW).") Float weightDecay;
    @Option(names = "--warmup-epochs", defaultValue = "1",
            description = "Linear learning-rate warm-up from 0, then cosine decay (default ${DEFAULT-VALUE}).")
    double warmupEpochs;
    @Option(names = "--freeze-backbone", description = "Train only the classifier head.") boolean freeze;
    @Option(names = "--backbone-lr-scale", description = "Backbone lr = scale × head lr (default 1 from scratch, "
            + "0.1 with --pretrained: pretrained features need smaller steps than the new head).")
    Float backboneScale;
    @Option(names = "--patience", defaultValue = "0", description = "Early-stopping patience in epochs (0: off).")
    int patience;
    @Option(names = {"--subset", "--limit"}, defaultValue = "0",
            description = "Train on this many images (Fashion-MNIST: stratified; image folder: a seeded random choice; "
                    + "0: all).")
    int subset;
    @Option(names = "--val-subset", defaultValue = "0",
            description = "Validate on this many images (Fashion-MNIST test set: stratified; folder: seeded; 0: all).")
    int valSubset;
    @Option(names = "--crop-padding", defaultValue = "2", description = "Fashion-MNIST random-crop padding (0: no augmentation).")
    int cropPadding;
    @Option(names = "--val-fraction", defaultValue = "0.1", description = "Image folder: validation share.")
    double valFraction;
    @Option(names = "--pretrained", description = "Start from installed pretrained weights.") boolean pretrained;
    @Option(names = "--resume", paramLabel = "DIR", description = "Resume from a checkpoint or an output directory.")
    Path resume;
    @Option(names = "--temperature", defaultValue = "30,1,10", paramLabel = "START,END,EPOCHS",
            description = "Dynamic-conv temperature schedule (default ${DEFAULT-VALUE}).")
    String temperature;
    @Option(names = "--seed", defaultValue = "42",
            description = "Fixes shuffling, augmentation and the initial weights (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--no-progress", description = "No progress bar (the per-epoch lines stay).") boolean noProgress;
    @Option(names = "--aux-weight", paramLabel = "W",
            description = "Segmentation: weight of the auxiliary head's loss (default the official "
                    + PyConvSegNet.AUX_WEIGHT + ").")
    Float auxWeight;
    @Option(names = "--crop-size", paramLabel = "PX",
            description = "Segmentation: side of the square training and validation crops (default the model's input "
                    + "size, 473 for PyConvSegNet; PyConvSegNet takes 8k + 1).")
    Integer cropSize;
    @Option(names = "--export", defaultValue = "best", paramLabel = "best|final",
            description = "Which weights the run directory serves as a model: the best validation epoch's or the last "
                    + "epoch's (default ${DEFAULT-VALUE}).")
    String export;

    @Override
    public Integer call() throws Exception {
        if (positionalId != null && modelId != null && !positionalId.equals(modelId)) {
            throw new IllegalArgumentException("two models given: " + positionalId + " and --model " + modelId);
        }
        if (positionalId == null && modelId == null) {
            throw new IllegalArgumentException("name the model to fine-tune: convzoo finetune <id> --out DIR "
                    + "(see 'convzoo models')");
        }
        modelId = positionalId != null ? positionalId : modelId;
        ModelSpec spec = ModelRegistry.get(modelId);
        FineTuneOutput.Weights exported = FineTuneOutput.Weights.parse(export);
        boolean segmentation = "segmentation".equals(spec.properties().get("task"));
        if (!segmentation && (auxWeight != null || cropSize != null)) {
            throw new IllegalArgumentException("--aux-weight and --crop-size are for segmentation models; " + spec.id()
                    + " is a classifier");
        }
        boolean fashion = Datasets.FASHION_MNIST.equals(data);
        if (segmentation && fashion) {
            throw new IllegalArgumentException(spec.id() + " is a segmentation model: --data takes a folder in ADE20K's "
                    + "layout (images/training, annotations/training, ...), not fashion-mnist");
        }
        Datasets norm = fashion ? Datasets.FASHION_MNIST_SPEC : Datasets.of(spec.properties().getOrDefault("dataset",
                Datasets.IMAGENET));
        int size = fashion ? FashionMnistDataset.SIZE : segmentation && cropSize != null ? cropSize : spec.inputSize();
        RandomAccessDataset train;
        RandomAccessDataset val;
        List<String> classes;
        if (segmentation) {
            Path root = Path.of(data);
            classes = SegmentationFolder.classNames(root, norm.classNames());
            train = segmentationSplit(root, SegmentationFolder.Split.TRAINING, norm, size, classes.size(), subset)
                    .optAugmentation(SegmentationFolder.SCALE_MIN, SegmentationFolder.SCALE_MAX)
                    .setBatch(batchSize, true).build();
            val = segmentationSplit(root, SegmentationFolder.Split.VALIDATION, norm, size, classes.size(), valSubset)
                    .setBatch(batchSize, false).build();
        } else if (fashion) {
            Path dir = fashionDir != null ? fashionDir : FashionMnistDataset.defaultDirectory();
            if (!FashionMnistDataset.isInstalled(dir)) {
                throw new java.io.FileNotFoundException(FashionMnistDataset.howToInstall(dir));
            }
            FashionMnistDataset.Builder tb = FashionMnistDataset.builder().optDirectory(dir).optSeed(seed)
                    .setBatch(batchSize, true);
            if (cropPadding > 0) {
                tb.optAugmentation(cropPadding, true);
            }
            if (subset > 0) {
                tb.optSubset(subset, true);
            }
            FashionMnistDataset.Builder vb = FashionMnistDataset.builder().optDirectory(dir)
                    .optSplit(FashionMnistDataset.Split.TEST).setBatch(batchSize, false);
            if (valSubset > 0) {
                vb.optSubset(valSubset, true);
            }
            train = tb.build();
            val = vb.build();
            classes = Datasets.FASHION_MNIST_SPEC.classNames();
        } else {
            ImageFolderData folder = ImageFolderData.load(Path.of(data), norm, size, batchSize, valFraction, seed, subset,
                    valSubset);
            train = folder.train();
            val = folder.validation();
            classes = folder.classNames();
        }
        ModelArgs args = spec.defaults().withNumClasses(classes.size()).withInputChannels(norm.channels());

        FineTuneConfig cfg = new FineTuneConfig().epochs(epochs).batchSize(batchSize)
                .schedule(warmupEpochs, 0f).freezeBackbone(freeze)
                .backboneLrScale(backboneScale != null ? backboneScale : pretrained ? 0.1f : 1f)
                .earlyStopping(patience, 0f).seed(seed).progressBar(!noProgress).outputDir(out).resumeFrom(resume);
        if (segmentation) {
            cfg.segmentation(auxWeight != null ? auxWeight : PyConvSegNet.AUX_WEIGHT);
        }
        if ("adamw".equalsIgnoreCase(optimizer)) {
            cfg.adamW(lr != null ? lr : 1e-3f).weightDecay(weightDecay != null ? weightDecay : 0.05f);
        } else if ("sgd".equalsIgnoreCase(optimizer)) {
            cfg.sgd(lr != null ? lr : pretrained ? 0.01f : 0.05f, momentum, !noNesterov && momentum > 0)
                    .weightDecay(weightDecay != null ? weightDecay : 5e-4f);
        } else {
            throw new IllegalArgumentException("--optimizer must be sgd or adamw, got '" + optimizer + "'");
        }
        String[] t = temperature.split(",");
        if (t.length != 3) {
            throw new IllegalArgumentException("--temperature must be START,END,EPOCHS, got '" + temperature + "'");
        }
        cfg.temperature(Float.parseFloat(t[0]), Float.parseFloat(t[1]), Double.parseDouble(t[2]));

        try (Model model = Model.newInstance(spec.id())) {
            Block block = spec.build(args);
            model.setBlock(block);
            // The initial weights draw from the engine's generator: seed it so --seed fixes the whole run.
            Engine.getInstance().setRandomSeed(Long.hashCode(seed));
            ConvZooModelLoader.initializeUntrained(block, model, args, size);
            if (pretrained) {
                copyPretrained(spec, model, size);
            }
            FineTuneOutput.writeInfo(out, new FineTuneOutput.Info(spec.id(), classes.size(), norm.channels(),
                    fashion ? Datasets.FASHION_MNIST : data, norm.name(), classes));
            FineTuner.Result r = new FineTuner(cfg).fit(model, train, val,
                    new Shape(batchSize, norm.channels(), size, size), classes);
            if (segmentation) {
                System.out.printf("best validation mIoU %.4f (pixel accuracy %.4f) at epoch %d%s; final mIoU %.4f "
                                + "(pixel accuracy %.4f); outputs in %s%n", r.bestValMeanIoU(), r.bestValAccuracy(),
                        r.bestEpoch(), r.stoppedEarly() ? " (stopped early)" : "",
                        r.confusion() == null ? Double.NaN : r.confusion().meanIoU(),
                        r.confusion() == null ? Double.NaN : r.confusion().accuracy(), out);
            } else {
                System.out.printf("best validation accuracy %.4f at epoch %d%s; final %.4f; outputs in %s%n",
                        r.bestValAccuracy(), r.bestEpoch(), r.stoppedEarly() ? " (stopped early)" : "",
                        r.confusion() == null ? Double.NaN : r.confusion().accuracy(), out);
            }
            if (r.confusion() != null) {
                FineTuneOutput.makeModelDirectory(out, exported);
                System.out.printf("model: %s (%s weights%s) — bin/convzoo predict %s IMAGE, eval, export, serve --model %s%n",
                        out, exported.name().toLowerCase(java.util.Locale.ROOT),
                        exported == FineTuneOutput.Weights.BEST ? ", epoch " + r.bestEpoch() : "", out, out);
            }
        }
        return 0;
    }

    /** A split of a segmentation folder with the run's normalization, crop size, classes, seed and limit. */
    private SegmentationFolder.Builder segmentationSplit(Path root, SegmentationFolder.Split split, Datasets norm,
                                                         int size, int numClasses, int limit) {
        return SegmentationFolder.builder(root, split).optNormalization(norm).optCropSize(size).optNumClasses(numClasses)
                .optSeed(seed).optLimit(limit);
    }

    /** Loads the installed pretrained weights into a default build and copies what fits. */
    private static void copyPretrained(ModelSpec spec, Model target, int size) throws Exception {
        String dataset = spec.properties().getOrDefault("dataset", Datasets.IMAGENET);
        Path dir = PretrainedWeights.find(spec.id(), dataset)
                .orElseThrow(() -> new java.io.FileNotFoundException(PretrainedWeights.howToInstall(spec.id(), dataset)));
        try (Model source = Model.newInstance(spec.id())) {
            source.setBlock(spec.build());
            source.load(dir, spec.id());
            ModelSurgery.TransferReport report = ModelSurgery.transferWeights(source.getBlock(), target.getBlock());
            System.out.printf("pretrained %s: %d tensors copied, %d adapted (input channels), %d new (%s)%n",
                    spec.id(), report.copied().size(), report.adapted().size(), report.kept().size(),
                    String.join(", ", report.kept()));
        }
    }
}
