package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Record;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.convzoo.zoo.arch.pyconv.PyConvSegNet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning a reduced-width PyConvSegNet through {@link FineTuner} on a synthetic folder in ADE20K's
 * layout (rectangles with their masks, outlines ignored): the loss falls, validation mIoU goes far
 * above chance, history.json and the charts hold the segmentation metrics, and the loss the trainer
 * records for a batch is main + w × aux of the two outputs.
 */
class SegmentationFineTuneTest {

    private static final int CROP = 33;

    @TempDir
    Path tmp;

    @Test
    void shortFineTuneLearnsTheMasksAndRecordsMeanIoU() throws Exception {
        Path data = SegmentationFolders.rectangles(tmp.resolve("data"), 12, 4, 36, 1);
        SegmentationFolder train = SegmentationFolder.builder(data, SegmentationFolder.Split.TRAINING)
                .optCropSize(CROP).optNumClasses(3).optAugmentation(0.8f, 1.25f).optSeed(5).setBatch(4, true).build();
        SegmentationFolder val = SegmentationFolder.builder(data, SegmentationFolder.Split.VALIDATION)
                .optCropSize(CROP).optNumClasses(3).setBatch(4, false).build();
        Path out = tmp.resolve("run");
        ai.djl.engine.Engine.getInstance().setRandomSeed(7);
        try (Model model = SegmentationFolders.model(SegmentationFolders.reducedNet(3, 0.1f), 3, CROP)) {
            FineTuneConfig cfg = new FineTuneConfig().epochs(EPOCHS).batchSize(4).adamW(0.02f).weightDecay(0f)
                    .schedule(0.5, 0f).segmentation(PyConvSegNet.AUX_WEIGHT).outputDir(out);
            FineTuner.Result r = new FineTuner(cfg).fit(model, train, val, new Shape(4, 3, CROP, CROP),
                    SegmentationFolders.CLASSES);
            assertEquals(EPOCHS, r.history().size());
            EpochStats first = r.history().get(0);
            EpochStats last = r.history().get(EPOCHS - 1);
            assertTrue(last.trainLoss() < 0.5 * first.trainLoss(), "training loss falls: " + r.history());
            // all background would score its pixel share / 3 (about 0.2); measured 0.55 with these seeds
            long[][] confusion = r.confusion().confusion();
            long background = java.util.Arrays.stream(confusion[0]).sum();
            long all = java.util.Arrays.stream(confusion).flatMapToLong(java.util.Arrays::stream).sum();
            double allBackground = (double) background / all / 3;
            assertTrue(r.confusion().meanIoU() > 0.4 && r.confusion().meanIoU() > 1.5 * allBackground,
                    "validation mIoU " + r.confusion().meanIoU() + ", all background " + allBackground);
            assertEquals(last.valMeanIoU(), r.confusion().meanIoU(), 1e-5,
                    "the trainer's mIoU evaluator and ModelEvaluator agree on the final model");
            assertEquals(last.valAccuracy(), r.confusion().accuracy(), 1e-5, "pixel accuracy");
            assertTrue(all < 4L * CROP * CROP, "outline pixels are left out: " + all);

            JsonObject history = FineTuner.readHistory(out.resolve("history.json"));
            for (String key : List.of("train_loss", "val_accuracy", "train_miou", "val_miou")) {
                assertEquals(EPOCHS, history.getAsJsonArray(key).size(), key);
            }
            JsonArray miou = history.getAsJsonArray("val_miou");
            assertEquals(r.bestValMeanIoU(), miou.get(r.bestEpoch() - 1).getAsDouble(), 1e-6);
            assertEquals(r.bestValMeanIoU(), history.get("best_val_miou").getAsDouble(), 1e-6);
            for (int e = 0; e < EPOCHS; e++) {
                assertTrue(miou.get(e).getAsDouble() <= r.bestValMeanIoU(), "best epoch by mIoU");
            }
            for (String file : List.of("loss.png", "accuracy.png", "miou.png", "confusion.png", "model.params",
                    "model-best.params")) {
                assertTrue(Files.size(out.resolve(file)) > 500, file);
            }
            assertTrue(FineTuner.epochLine(last, EPOCHS, 12).contains(String.format(java.util.Locale.ROOT,
                    "val loss %.4f acc %.4f mIoU %.4f", last.valLoss(), last.valAccuracy(), last.valMeanIoU())));
        }
    }

    private static final int EPOCHS = 8;

    @Test
    void theTrainersBatchLossIsMainPlusWeightedAux() throws Exception {
        float auxWeight = 0.25f;
        Path data = SegmentationFolders.rectangles(tmp.resolve("one"), 4, 2, 36, 2);
        SegmentationFolder train = SegmentationFolder.builder(data, SegmentationFolder.Split.TRAINING)
                .optCropSize(CROP).optNumClasses(3).optAugmentation(0.8f, 1.25f).setBatch(4, true).build();
        SegmentationFolder val = SegmentationFolder.builder(data, SegmentationFolder.Split.VALIDATION)
                .optCropSize(CROP).optNumClasses(3).setBatch(2, false).build();
        train.prepare();
        train.setEpoch(0);
        // no dropout: the trainer's forward of the one batch is the forward below
        try (Model model = SegmentationFolders.model(SegmentationFolders.reducedNet(3, 0f), 3, CROP);
             NDManager manager = NDManager.newBaseManager()) {
            List<NDArray> images = new ArrayList<>();
            List<NDArray> labels = new ArrayList<>();
            for (long i = 0; i < 4; i++) {
                Record record = train.get(manager, i);
                images.add(record.getData().head());
                labels.add(record.getLabels().head());
            }
            NDArray x = NDArrays.stack(images);
            NDArray y = NDArrays.stack(labels);
            NDList out = model.getBlock().forward(new ParameterStore(manager, false), new NDList(x), true);
            assertEquals(2, out.size());
            float main = SegmentationLoss.crossEntropy(out.get(0), y, SegmentationLoss.IGNORE_LABEL).getFloat();
            float aux = SegmentationLoss.crossEntropy(out.get(1), y, SegmentationLoss.IGNORE_LABEL).getFloat();
            assertTrue(Math.abs(aux) > 0.1f, "the aux head's loss counts: " + aux);

            FineTuneConfig cfg = new FineTuneConfig().epochs(1).batchSize(4).sgd(0.05f, 0.9f, true)
                    .segmentation(auxWeight);
            FineTuner.Result r = new FineTuner(cfg).fit(model, train, val, new Shape(4, 3, CROP, CROP),
                    SegmentationFolders.CLASSES);
            assertEquals(1, r.step(), "one batch");
            assertEquals(main + auxWeight * aux, r.history().get(0).trainLoss(), 1e-5);
        }
    }

    /** Stacks along a new first axis. */
    private static final class NDArrays {
        static NDArray stack(List<NDArray> arrays) {
            return ai.djl.ndarray.NDArrays.stack(new NDList(arrays));
        }
    }
}
