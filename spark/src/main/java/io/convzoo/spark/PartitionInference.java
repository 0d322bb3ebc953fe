package io.convzoo.spark;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.convzoo.zoo.djl.TranslateErrors;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The work of one Spark task: the executor's shared model ({@link ExecutorModels}), one predictor
 * for this task (predictors are not thread-safe), and the partition's rows in batches through
 * {@code batchPredict}. Each row comes out with its prediction and a null error, or a null
 * prediction and the error that names its problem: a bad image never fails the job.
 */
final class PartitionInference implements FlatMapFunction<Iterator<Row>, Row> {

    private static final long serialVersionUID = 1L;

    /**
     * What a task needs, shipped with it.
     *
     * @param threadsPerTask libtorch intra-op threads; 0: the task's cores (spark.task.cpus)
     */
    record Settings(String model, Output output, int topK, int batchSize, int threadsPerTask, int imageColumn,
                    ImageInputs.Kind kind) implements Serializable {}

    private final Settings settings;
    private final CollectionAccumulator<String> loadReport;

    /** {@code loadReport} (may be null) gets {@code executorId=loads of this model} from each task. */
    PartitionInference(Settings settings, CollectionAccumulator<String> loadReport) {
        this.settings = settings;
        this.loadReport = loadReport;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        if (!rows.hasNext()) {
            return rows; // an empty partition loads nothing
        }
        TaskContext task = TaskContext.get();
        int threads = settings.threadsPerTask() > 0 ? settings.threadsPerTask() : task == null ? 1 : task.cpus();
        ExecutorModels.Key key = new ExecutorModels.Key(settings.model(), settings.output().djlOutput);
        ZooModel<Image, Object> model = ExecutorModels.get(key, threads);
        if (loadReport != null) {
            loadReport.add(SparkEnv.get().executorId() + "=" + ExecutorModels.loads(key));
        }
        Predictor<Image, Object> predictor = model.newPredictor();
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) context -> predictor.close());
        }
        return new Batches(rows, predictor);
    }

    /** Pulls one batch of input rows at a time, so a partition never sits in memory whole. */
    private final class Batches implements Iterator<Row> {
        private final Iterator<Row> input;
        private final Predictor<Image, Object> predictor;
        private Iterator<Row> current = List.<Row>of().iterator();

        Batches(Iterator<Row> input, Predictor<Image, Object> predictor) {
            this.input = input;
            this.predictor = predictor;
        }

        @Override
        public boolean hasNext() {
            if (!current.hasNext() && input.hasNext()) {
                current = predictBatch().iterator();
            }
            return current.hasNext();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }

        private List<Row> predictBatch() {
            List<Row> batch = new ArrayList<>(settings.batchSize());
            while (batch.size() < settings.batchSize() && input.hasNext()) {
                batch.add(input.next());
            }
            Object[] predictions = new Object[batch.size()];
            String[] errors = new String[batch.size()];
            List<Image> images = new ArrayList<>();
            List<Integer> decoded = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                try {
                    images.add(ImageInputs.toImage(settings.kind(), batch.get(i).get(settings.imageColumn())));
                    decoded.add(i);
                } catch (IllegalArgumentException e) {
                    errors[i] = e.getMessage();
                }
            }
            predict(images, decoded, predictions, errors);
            List<Row> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Object column = predictions[i] == null ? null : settings.output().toColumn(predictions[i], settings.topK());
                out.add(withColumns(batch.get(i), column, errors[i]));
            }
            return out;
        }

        /** One batched forward; if it fails, image by image, so that only the bad ones get errors. */
        private void predict(List<Image> images, List<Integer> rowOf, Object[] predictions, String[] errors) {
            if (images.isEmpty()) {
                return;
            }
            try {
                List<Object> results = predictor.batchPredict(images);
                for (int i = 0; i < results.size(); i++) {
                    predictions[rowOf.get(i)] = results.get(i);
                }
                return;
            } catch (TranslateException | RuntimeException batchFailure) {
                if (images.size() == 1) {
                    errors[rowOf.get(0)] = "prediction failed: " + TranslateErrors.message(batchFailure);
                    return;
                }
            }
            for (int i = 0; i < images.size(); i++) {
                predict(List.of(images.get(i)), List.of(rowOf.get(i)), predictions, errors);
            }
        }
    }

    private static Row withColumns(Row row, Object prediction, String error) {
        Object[] values = new Object[row.length() + 2];
        for (int i = 0; i < row.length(); i++) {
            values[i] = row.get(i);
        }
        values[row.length()] = prediction;
        values[row.length() + 1] = error;
        return RowFactory.create(values);
    }
}
