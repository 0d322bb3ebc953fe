package io.convzoo.serving.cli;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.GsonBuilder;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.djl.ModelDirectory;
import io.convzoo.zoo.djl.PretrainedWeights;
import io.convzoo.zoo.train.FashionMnistDataset;
import io.convzoo.zoo.train.FineTuneOutput;
import io.convzoo.zoo.train.ModelEvaluator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code convzoo eval <id|DIR> --dataset fashion-mnist [--json]}: top-1 accuracy (a fraction) and
 * confusion matrix on the Fashion-MNIST test set, of a zoo model with installed fashion-mnist
 * weights or of a {@code convzoo finetune} output directory (finetune.json + model.params).
 */
@Command(name = "eval", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = "Top-1 accuracy of a model (id with installed weights, or a finetune output DIR) on a test set.")
public final class EvalCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<id|DIR>", description = "Model id, or a 'convzoo finetune' output directory.")
    String target;

    @Option(names = "--dataset", defaultValue = "fashion-mnist", description = "Test set (only fashion-mnist now).")
    String dataset;

    @Option(names = "--fashion-mnist-dir", paramLabel = "DIR", description = "Directory of the Fashion-MNIST IDX files.")
    Path fashionDir;

    @Option(names = "--limit", defaultValue = "0", description = "Evaluate a stratified subset of this size (0: all 10,000).")
    int limit;

    @Option(names = "--batch-size", defaultValue = "256") int batchSize;

    @Option(names = "--json", description = "Print JSON: accuracy (fraction), correct, total, classNames, confusion.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!Datasets.FASHION_MNIST.equals(dataset)) {
            throw new IllegalArgumentException("--dataset must be fashion-mnist, got '" + dataset + "'");
        }
        Path dir = fashionDir != null ? fashionDir : FashionMnistDataset.defaultDirectory();
        if (!FashionMnistDataset.isInstalled(dir)) {
            throw new java.io.FileNotFoundException(FashionMnistDataset.howToInstall(dir));
        }
        FashionMnistDataset.Builder b = FashionMnistDataset.builder().optDirectory(dir)
                .optSplit(FashionMnistDataset.Split.TEST).setBatch(batchSize, false);
        if (limit > 0) {
            b.optSubset(limit, true);
        }
        FashionMnistDataset test = b.build();
        test.prepare();
        Path asDir = Path.of(target);
        ModelEvaluator.Evaluation eval;
        String name;
        if (ModelDirectory.isModelDirectory(asDir)) {
            // A model directory (import, or a finetune run): the weights it serves, loaded as predict loads them.
            ModelDirectory model = ModelDirectory.read(asDir);
            if (model.inputChannels() != 1 || model.numClasses() != 10) {
                throw new IllegalArgumentException(asDir + " holds a model for " + model.numClasses() + " classes and "
                        + model.inputChannels() + " channels, not Fashion-MNIST's 10 and 1");
            }
            Criteria<NDList, NDList> criteria = ModelDirectory.criteria(asDir, NDList.class, NDList.class).build();
            try (ZooModel<NDList, NDList> loaded = criteria.loadModel()) {
                eval = ModelEvaluator.evaluate(loaded.getBlock(), test, batchSize, test.classNames(),
                        loaded.getNDManager());
            }
            name = asDir.toString();
        } else if (FineTuneOutput.isOutputDirectory(asDir)) {
            FineTuneOutput.Info info = FineTuneOutput.info(asDir);
            if (info.inputChannels() != 1 || info.numClasses() != 10) {
                throw new IllegalArgumentException(asDir + " holds a model for " + info.numClasses() + " classes and "
                        + info.inputChannels() + " channels, not Fashion-MNIST's 10 and 1");
            }
            try (Model model = FineTuneOutput.load(asDir, FineTuneOutput.Weights.BEST)) {
                eval = ModelEvaluator.evaluate(model.getBlock(), test, batchSize, test.classNames(), model.getNDManager());
            }
            name = asDir.toString();
        } else {
            ModelSpec spec = ModelRegistry.get(target);
            PretrainedWeights.find(spec.id(), dataset).orElseThrow(() ->
                    new java.io.FileNotFoundException(PretrainedWeights.howToInstall(spec.id(), dataset)));
            // Through the zoo's own loader: the recorded arguments (temperature) and stored precision apply.
            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optGroupId("io.convzoo").optArtifactId(spec.id()).optFilter("dataset", dataset)
                    .optArgument(ModelArgs.NUM_CLASSES, 10).optArgument(ModelArgs.INPUT_CHANNELS, 1).build();
            try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
                eval = ModelEvaluator.evaluate(model.getBlock(), test, batchSize, test.classNames(), model.getNDManager());
            }
            name = spec.id();
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", name);
            m.put("dataset", dataset);
            m.putAll(eval.toMap());
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(m));
        } else {
            System.out.printf("%s on %s test (%d images): top-1 accuracy %.4f (%d correct)%n", name, dataset,
                    eval.total(), eval.accuracy(), eval.correct());
        }
        return 0;
    }
}
