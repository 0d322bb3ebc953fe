package io.convzoo.zoo.train;

import io.convzoo.blocks.TemperatureAnnealed;
import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingResult;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Fine-tunes a classifier with DJL's {@link Trainer}: softmax cross-entropy, the
 * {@link FineTuneOptimizer} (SGD with momentum/Nesterov or AdamW, weight decay) on a linear
 * warm-up + cosine schedule ({@code Tracker.warmUp} around {@code Tracker.cosine}), an optional
 * frozen or slower backbone ({@link GroupLearningRate}), DJL's {@link Accuracy} evaluator on the
 * validation set each epoch, DJL's progress bar, dynamic-conv temperature annealing
 * ({@link TemperatureAnnealed}), early stopping on validation accuracy, and a checkpoint each
 * epoch from which {@link FineTuneConfig#resumeFrom} continues at the same step.
 *
 * <p>A segmentation model ({@link FineTuneConfig#segmentation}) runs the same loop with
 * {@link SegmentationLoss} (main + aux weight × aux) and the pixel accuracy and mIoU of
 * {@link SegmentationMetrics} in place of softmax cross-entropy and accuracy; its best epoch is the
 * one with the best validation mIoU (early stopping watches it too), and {@code miou.png} charts it.
 *
 * <p>Output directory layout: {@code history.json}, {@code loss.png}, {@code accuracy.png},
 * {@code confusion.png} (final model on the validation set; up to
 * {@link TrainingCharts#CONFUSION_MAX_CLASSES} classes), {@code <name>.params} (final
 * parameters), {@code <name>-best.params} (best validation accuracy or mIoU), {@code checkpoints/epoch-NNNN/}
 * ({@code <name>.params}, {@code optimizer.bin}, {@code state.json}; the last two are kept).
 *
 * <p>Determinism: shuffling and augmentation depend only on (seed, epoch), so a resumed run sees
 * the same batches as an uninterrupted one; with deterministic kernels the weights match exactly.
 */
public final class FineTuner {

    /** Checkpoints kept on disk (older ones are deleted). */
    static final int CHECKPOINTS_KEPT = 2;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .create();

    private final FineTuneConfig cfg;
    private int stopAfterEpochs = Integer.MAX_VALUE;

    public FineTuner(FineTuneConfig config) {
        this.cfg = config;
    }

    /** Ends the run (as if interrupted) after this many epochs of this call; for time-sliced runs and tests. */
    public FineTuner stopAfterEpochs(int epochs) {
        this.stopAfterEpochs = epochs;
        return this;
    }

    /**
     * The outcome of a run.
     *
     * @param history every epoch so far (including those before a resume)
     * @param bestEpoch epoch with the best validation accuracy, for segmentation mIoU (1-based; 0 if none)
     * @param bestValAccuracy that epoch's validation accuracy (segmentation: pixel accuracy)
     * @param bestValMeanIoU segmentation: that epoch's validation mIoU (NaN for a classifier)
     * @param stoppedEarly early stopping ended the run
     * @param step global optimizer step reached
     * @param stepsPerEpoch optimizer steps per epoch
     * @param confusion final model on the validation set (null if the run ended before the last epoch)
     */
    public record Result(List<EpochStats> history, int bestEpoch, double bestValAccuracy, double bestValMeanIoU,
                         boolean stoppedEarly, int step, int stepsPerEpoch, ModelEvaluator.Evaluation confusion) {}

    /**
     * Trains {@code model} (its block initialized, head already sized for the classes) on
     * {@code train}, validating on {@code validation}. {@code inputShape} is one batch's shape
     * (e.g. (batch, 1, 28, 28)); {@code classNames} name the label indices.
     */
    public Result fit(Model model, RandomAccessDataset train, RandomAccessDataset validation, Shape inputShape,
                      List<String> classNames) throws IOException, TranslateException {
        Block block = model.getBlock();
        train.prepare();
        validation.prepare();
        long trainSize = train.size();
        if (trainSize < 1) {
            throw new IllegalArgumentException("the training set is empty");
        }
        boolean dropLast = trainSize >= cfg.batchSize;
        int stepsPerEpoch = (int) (dropLast ? trainSize / cfg.batchSize : 1);
        int totalSteps = stepsPerEpoch * cfg.epochs;
        int warmupSteps = (int) Math.min(Math.round(cfg.warmupEpochs * stepsPerEpoch), totalSteps - 1L);

        List<Parameter> head = ModelSurgery.parametersOf(block, cfg.headPath);
        List<Parameter> backbone = ModelSurgery.parametersOutside(block, cfg.headPath);
        for (Parameter p : backbone) {
            if (cfg.freezeBackbone) {
                p.freeze(true);
            }
        }
        for (Parameter p : head) {
            p.freeze(false);
        }

        State state = new State();
        Path checkpoint = cfg.resumeFrom == null ? null : findCheckpoint(cfg.resumeFrom);
        if (checkpoint != null) {
            state = readState(checkpoint.resolve("state.json"));
            if (!cfg.segmentation && state.bestScore == 0) {
                state.bestScore = state.bestValAccuracy; // a checkpoint from before bestScore was recorded
            }
            if (state.stepsPerEpoch != stepsPerEpoch) {
                throw new IllegalArgumentException("checkpoint " + checkpoint + " was made with " + state.stepsPerEpoch
                        + " steps per epoch, this run has " + stepsPerEpoch + " (other dataset size or batch size)");
            }
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                    Files.newInputStream(checkpoint.resolve(cfg.modelName + ".params"))))) {
                block.loadParameters(model.getNDManager(), in);
            } catch (ai.djl.MalformedModelException e) {
                throw new IOException("cannot load " + checkpoint + ": " + e.getMessage(), e);
            }
        }

        Tracker schedule = schedule(totalSteps, warmupSteps);
        GroupLearningRate lr = new GroupLearningRate(schedule).scale(backbone, cfg.backboneLrScale);
        FineTuneOptimizer.Builder ob = cfg.optimizer == FineTuneOptimizer.Kind.SGD
                ? FineTuneOptimizer.sgd(lr).optMomentum(cfg.momentum, cfg.nesterov && cfg.momentum > 0)
                : FineTuneOptimizer.adamW(lr);
        FineTuneOptimizer optimizer = ob.optWeightDecay(cfg.weightDecay).build().bind(block);
        if (checkpoint != null) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(checkpoint.resolve("optimizer.bin")))) {
                optimizer.load(in, model.getNDManager());
            }
        }

        DefaultTrainingConfig config = new DefaultTrainingConfig(loss())
                .optOptimizer(optimizer)
                .optDevices(new ai.djl.Device[] {model.getNDManager().getDevice()})
                // Progress and the epoch lines are printed here (DJL's bar stops short with drop-last batches).
                .addTrainingListeners(TrainingListener.Defaults.basic());
        String accuracyName = cfg.segmentation ? SegmentationMetrics.Kind.PIXEL_ACCURACY.evaluatorName : "Accuracy";
        String meanIoUName = SegmentationMetrics.Kind.MEAN_IOU.evaluatorName;
        if (cfg.segmentation) {
            config.addEvaluator(new SegmentationMetrics.Metric(SegmentationMetrics.Kind.PIXEL_ACCURACY,
                            SegmentationLoss.IGNORE_LABEL))
                    .addEvaluator(new SegmentationMetrics.Metric(SegmentationMetrics.Kind.MEAN_IOU,
                            SegmentationLoss.IGNORE_LABEL));
        } else {
            config.addEvaluator(new Accuracy());
        }
        List<TemperatureAnnealed> annealed = TemperatureAnnealed.findAll(block);
        SeededBatchSampler trainSampler = new SeededBatchSampler(cfg.batchSize, true, dropLast, cfg.seed);
        SeededBatchSampler valSampler = new SeededBatchSampler(cfg.batchSize, false, false, 0);
        ModelEvaluator.Evaluation finalEval = null;
        if (cfg.outputDir != null) {
            Files.createDirectories(cfg.outputDir);
        }

        try (Trainer trainer = model.newTrainer(config)) {
            trainer.initialize(inputShape);
            int runEpochs = 0;
            for (int epoch = state.epochsDone; epoch < cfg.epochs && !state.stoppedEarly; epoch++) {
                if (runEpochs++ >= stopAfterEpochs) {
                    break;
                }
                long t0 = System.nanoTime();
                trainSampler.setEpoch(epoch);
                for (RandomAccessDataset d : List.of(train, validation)) {
                    if (d instanceof EpochAware aware) {
                        aware.setEpoch(epoch);
                    }
                }
                float temperature = cfg.temperatureEnd;
                Progress progress = cfg.progressBar ? new Progress(epoch + 1, cfg.epochs, stepsPerEpoch) : null;
                int done = 0;
                for (Batch batch : train.getData(trainer.getManager(), trainSampler)) {
                    try (batch) {
                        if (!annealed.isEmpty()) {
                            temperature = TemperatureAnnealed.linear(cfg.temperatureStart, cfg.temperatureEnd,
                                    optimizer.step() / (double) stepsPerEpoch, cfg.temperatureEpochs);
                            for (TemperatureAnnealed t : annealed) {
                                t.setTemperature(temperature);
                            }
                        }
                        EasyTrain.trainBatch(trainer, batch);
                        trainer.step();
                    }
                    if (progress != null) {
                        progress.update(++done);
                    }
                }
                if (progress != null) {
                    progress.finish();
                }
                for (Batch batch : validation.getData(trainer.getManager(), valSampler)) {
                    try (batch) {
                        EasyTrain.validateBatch(trainer, batch);
                    }
                }
                trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                TrainingResult r = trainer.getTrainingResult();
                int step = optimizer.step();
                EpochStats stats = new EpochStats(epoch + 1, r.getTrainLoss(), value(r.getTrainEvaluation(accuracyName)),
                        r.getValidateLoss(), value(r.getValidateEvaluation(accuracyName)),
                        cfg.segmentation ? value(r.getTrainEvaluation(meanIoUName)) : Double.NaN,
                        cfg.segmentation ? value(r.getValidateEvaluation(meanIoUName)) : Double.NaN,
                        schedule.getNewValue(Math.max(step, 1)), annealed.isEmpty() ? Double.NaN : temperature, step,
                        (System.nanoTime() - t0) / 1e9);
                state.history.add(stats);
                state.epochsDone = epoch + 1;
                System.out.println(epochLine(stats, cfg.epochs, stepsPerEpoch * (long) cfg.batchSize));
                if (score(stats) > state.bestScore + cfg.minDelta || state.bestEpoch == 0) {
                    state.bestScore = score(stats);
                    state.bestValAccuracy = stats.valAccuracy();
                    state.bestEpoch = epoch + 1;
                    state.badEpochs = 0;
                    if (cfg.outputDir != null) {
                        saveParameters(block, cfg.outputDir.resolve(cfg.modelName + "-best.params"));
                    }
                } else {
                    state.badEpochs++;
                    if (cfg.patience > 0 && state.badEpochs >= cfg.patience) {
                        state.stoppedEarly = true;
                    }
                }
                state.step = step;
                state.stepsPerEpoch = stepsPerEpoch;
                if (cfg.outputDir != null) {
                    writeCheckpoint(block, optimizer, state, epoch + 1);
                    writeHistory(state, cfg.outputDir.resolve("history.json"));
                    TrainingCharts.writeLoss(state.history, cfg.outputDir.resolve("loss.png"));
                    TrainingCharts.writeAccuracy(state.history, cfg.outputDir.resolve("accuracy.png"), cfg.segmentation);
                    if (cfg.segmentation) {
                        TrainingCharts.writeMeanIoU(state.history, cfg.outputDir.resolve("miou.png"));
                    }
                }
            }
            boolean finished = state.epochsDone >= cfg.epochs || state.stoppedEarly;
            if (finished) {
                finalEval = ModelEvaluator.evaluate(block, validation, cfg.batchSize, classNames, trainer.getManager());
                if (cfg.outputDir != null) {
                    if (classNames.size() <= TrainingCharts.CONFUSION_MAX_CLASSES) {
                        TrainingCharts.writeConfusion(finalEval, cfg.outputDir.resolve("confusion.png"));
                    }
                    saveParameters(block, cfg.outputDir.resolve(cfg.modelName + ".params"));
                    writeHistory(state, cfg.outputDir.resolve("history.json"));
                }
            }
        }
        return new Result(List.copyOf(state.history), state.bestEpoch, state.bestValAccuracy,
                cfg.segmentation ? state.bestScore : Double.NaN, state.stoppedEarly,
                state.step, stepsPerEpoch, finalEval);
    }

    /** The loss of the run's task. */
    Loss loss() {
        return cfg.segmentation ? new SegmentationLoss(cfg.auxWeight, SegmentationLoss.IGNORE_LABEL)
                : Loss.softmaxCrossEntropyLoss();
    }

    /** What picks the best epoch: validation accuracy, for segmentation validation mIoU. */
    private double score(EpochStats s) {
        return cfg.segmentation ? s.valMeanIoU() : s.valAccuracy();
    }

    /**
     * One line per epoch: losses, accuracies (segmentation: pixel accuracy, then mIoU), learning
     * rate, time and training throughput.
     */
    static String epochLine(EpochStats s, int epochs, long trainImages) {
        boolean segmentation = !Double.isNaN(s.valMeanIoU());
        return String.format(java.util.Locale.ROOT,
                "epoch %d/%d  train loss %.4f acc %.4f%s  val loss %.4f acc %.4f%s  lr %.5f  %.1f s  %.0f img/s",
                s.epoch(), epochs, s.trainLoss(), s.trainAccuracy(),
                segmentation ? String.format(java.util.Locale.ROOT, " mIoU %.4f", s.trainMeanIoU()) : "",
                s.valLoss(), s.valAccuracy(),
                segmentation ? String.format(java.util.Locale.ROOT, " mIoU %.4f", s.valMeanIoU()) : "",
                s.lr(), s.seconds(), trainImages / Math.max(1e-9, s.seconds()));
    }

    /** A text progress bar over one epoch's training batches, ending at 100%. */
    private static final class Progress {
        private static final int WIDTH = 30;
        private final String label;
        private final int total;
        private int shown = -1;

        Progress(int epoch, int epochs, int total) {
            this.label = "epoch " + epoch + "/" + epochs;
            this.total = Math.max(1, total);
        }

        void update(int done) {
            int percent = (int) (100L * Math.min(done, total) / total);
            if (percent != shown) {
                shown = percent;
                int filled = percent * WIDTH / 100;
                System.out.print("\r" + label + " [" + "=".repeat(filled) + " ".repeat(WIDTH - filled) + "] "
                        + percent + "% " + Math.min(done, total) + "/" + total);
                System.out.flush();
            }
        }

        void finish() {
            update(total);
            System.out.println();
        }
    }

    /** Linear warm-up from 0 over {@code warmupSteps}, then cosine from the learning rate to the final one. */
    Tracker schedule(int totalSteps, int warmupSteps) {
        float finalLr = Math.min(cfg.finalLearningRate, cfg.learningRate * 0.999f);
        Tracker cosine = Tracker.cosine().setBaseValue(cfg.learningRate).optFinalValue(finalLr)
                .setMaxUpdates(Math.max(1, totalSteps - warmupSteps)).build();
        if (warmupSteps <= 0) {
            return cosine;
        }
        return Tracker.warmUp().setMainTracker(cosine).optWarmUpSteps(warmupSteps).optWarmUpBeginValue(0f).build();
    }

    private static double value(Float f) {
        return f == null ? Double.NaN : f;
    }

    /** Saves a block's parameters in DJL's block format (loadable with Block.loadParameters). */
    public static void saveParameters(Block block, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            block.saveParameters(out);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void writeCheckpoint(Block block, FineTuneOptimizer optimizer, State state, int epoch) throws IOException {
        Path root = cfg.outputDir.resolve("checkpoints");
        Path dir = root.resolve(String.format("epoch-%04d", epoch));
        Path tmp = root.resolve(String.format(".epoch-%04d.tmp", epoch));
        deleteTree(tmp);
        Files.createDirectories(tmp);
        saveParameters(block, tmp.resolve(cfg.modelName + ".params"));
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp.resolve("optimizer.bin")))) {
            optimizer.save(out);
        }
        Files.writeString(tmp.resolve("state.json"), GSON.toJson(state), StandardCharsets.UTF_8);
        deleteTree(dir);
        Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        List<Path> all = checkpoints(root);
        for (int i = 0; i < all.size() - CHECKPOINTS_KEPT; i++) {
            deleteTree(all.get(i));
        }
    }

    private static List<Path> checkpoints(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().matches("epoch-\\d{4}") && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    /** A checkpoint directory itself, or the latest one of an output directory. */
    public static Path findCheckpoint(Path path) throws IOException {
        if (Files.isRegularFile(path.resolve("state.json"))) {
            return path;
        }
        for (Path root : List.of(path.resolve("checkpoints"), path)) {
            List<Path> all = checkpoints(root);
            if (!all.isEmpty()) {
                return all.get(all.size() - 1);
            }
        }
        throw new java.io.FileNotFoundException("no checkpoint in " + path
                + " (expected state.json there or checkpoints/epoch-NNNN/ below it)");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static State readState(Path file) throws IOException {
        State s = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), State.class);
        if (s == null || s.history == null) {
            throw new IOException("bad checkpoint state " + file);
        }
        return s;
    }

    /** Writes history.json: per-epoch columns plus the run's summary. */
    static void writeHistory(State state, Path file) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        List<EpochStats> h = state.history;
        m.put("epoch", h.stream().map(EpochStats::epoch).toList());
        m.put("train_loss", h.stream().map(e -> finite(e.trainLoss())).toList());
        m.put("train_accuracy", h.stream().map(e -> finite(e.trainAccuracy())).toList());
        m.put("val_loss", h.stream().map(e -> finite(e.valLoss())).toList());
        m.put("val_accuracy", h.stream().map(e -> finite(e.valAccuracy())).toList());
        boolean segmentation = h.stream().anyMatch(e -> !Double.isNaN(e.valMeanIoU()));
        if (segmentation) {
            m.put("train_miou", h.stream().map(e -> finite(e.trainMeanIoU())).toList());
            m.put("val_miou", h.stream().map(e -> finite(e.valMeanIoU())).toList());
        }
        m.put("lr", h.stream().map(e -> finite(e.lr())).toList());
        m.put("temperature", h.stream().map(e -> finite(e.temperature())).toList());
        m.put("step", h.stream().map(EpochStats::step).toList());
        m.put("seconds", h.stream().map(e -> finite(e.seconds())).toList());
        m.put("best_epoch", state.bestEpoch);
        m.put("best_val_accuracy", finite(state.bestValAccuracy));
        if (segmentation) {
            m.put("best_val_miou", finite(state.bestScore));
        }
        m.put("stopped_early", state.stoppedEarly);
        Files.writeString(file, GSON.toJson(m), StandardCharsets.UTF_8);
    }

    /** JSON has no NaN or infinity: a value that is not finite (no temperature, a diverged loss) is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** Reads history.json back into a JSON object (for tools and tests). */
    public static JsonObject readHistory(Path file) throws IOException {
        return GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), JsonObject.class);
    }

    /** What a checkpoint's state.json holds. */
    static final class State {
        int epochsDone;
        int step;
        int stepsPerEpoch;
        int bestEpoch;
        double bestValAccuracy;
        /** The best epoch's selection score (validation accuracy, for segmentation mIoU). */
        double bestScore;
        int badEpochs;
        boolean stoppedEarly;
        List<EpochStats> history = new ArrayList<>();
    }
}
