package io.convzoo.spark;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;

/**
 * A Spark ML transformer that runs a ConvZoo model over a DataFrame of images: the
 * {@code binaryFile} source's {@code content} (file bytes) or the {@code image} source's
 * {@code image} struct. Appends the prediction column and an {@code error} column (null, or why that
 * row's image could not be predicted, its prediction then null); every input column is kept.
 *
 * <p>Each executor JVM loads the model once and shares it between its tasks and across transforms;
 * each task runs its own predictor over its partition in batches ({@link PartitionInference}).
 *
 * @param <T> the concrete transformer, for chained setters
 */
public abstract class ConvZooTransformer<T extends ConvZooTransformer<T>> extends Transformer
        implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    private final String uid;
    private CollectionAccumulator<String> loadReport;

    // Spark finds a stage's params through its public no-argument methods returning a Param (below).
    private final Param<String> model;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> errorCol;
    private final IntParam batchSize;
    private final IntParam threadsPerTask;

    protected ConvZooTransformer(String uid, String defaultOutputCol) {
        this.uid = uid; // first: a Param asks its parent for the uid
        model = new Param<>(this, "model", "model id or directory written by 'convzoo import'");
        inputCol = new Param<>(this, "inputCol", "image column (empty: image if present, else content)");
        outputCol = new Param<>(this, "outputCol", "prediction column");
        errorCol = new Param<>(this, "errorCol", "per-row error column");
        batchSize = new IntParam(this, "batchSize", "images per forward (>= 1)", ParamValidators.gtEq(1));
        threadsPerTask = new IntParam(this, "threadsPerTask",
                "libtorch intra-op threads per task (0: spark.task.cpus)", ParamValidators.gtEq(0));
        setDefault(inputCol, "");
        setDefault(outputCol, defaultOutputCol);
        setDefault(errorCol, "error");
        setDefault(batchSize, 8);
        setDefault(threadsPerTask, 0);
    }

    /** A registered model id, or a directory written by {@code convzoo import}; loaded with its pretrained weights. */
    public Param<String> model() {
        return model;
    }

    /** The image column; empty: {@code image} if the frame has the image source's struct, else {@code content}. */
    public Param<String> inputCol() {
        return inputCol;
    }

    /** The prediction column. */
    public Param<String> outputCol() {
        return outputCol;
    }

    /** The per-row error column. */
    public Param<String> errorCol() {
        return errorCol;
    }

    /** Images per forward. */
    public IntParam batchSize() {
        return batchSize;
    }

    /** libtorch intra-op threads per task; 0: the task's cores (spark.task.cpus). */
    public IntParam threadsPerTask() {
        return threadsPerTask;
    }

    /** What this transformer predicts. */
    abstract Output output();

    /** The K of a top-K output (ignored by embeddings). */
    abstract int topKOrZero();

    @SuppressWarnings("unchecked")
    private T self() {
        return (T) this;
    }

    public T setModel(String value) {
        set(model, value);
        return self();
    }

    public T setInputCol(String value) {
        set(inputCol, value);
        return self();
    }

    public T setOutputCol(String value) {
        set(outputCol, value);
        return self();
    }

    public T setErrorCol(String value) {
        set(errorCol, value);
        return self();
    }

    public T setBatchSize(int value) {
        set(batchSize, value);
        return self();
    }

    public T setThreadsPerTask(int value) {
        set(threadsPerTask, value);
        return self();
    }

    /**
     * Each task adds {@code executorId=loads} to {@code report}: how often its executor JVM had
     * loaded this model when it ran (1 when the cache works) (not a Param: an accumulator belongs to one SparkContext; copies don't keep it).
     */
    public T reportModelLoadsTo(CollectionAccumulator<String> report) {
        this.loadReport = report;
        return self();
    }

    public String getModel() {
        return $(model);
    }

    public int getBatchSize() {
        return (Integer) $(batchSize);
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The image column this frame's schema gives. */
    String imageColumn(StructType schema) {
        String chosen = $(inputCol);
        if (!chosen.isEmpty()) {
            return chosen;
        }
        List<String> names = List.of(schema.fieldNames());
        if (names.contains("image") && !(schema.apply("image").dataType().equals(DataTypes.BinaryType))) {
            return "image";
        }
        if (names.contains("content")) {
            return "content";
        }
        throw new IllegalArgumentException("no image column in " + schema.simpleString() + ": expected content "
                + "(spark.read().format(\"binaryFile\")) or image (spark.read().format(\"image\")), or set inputCol");
    }

    @Override
    public StructType transformSchema(StructType schema) {
        if (!isDefined(model)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": set the model (an id or a model directory)");
        }
        String column = imageColumn(schema);
        if (!List.of(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException("no column " + column + " in " + schema.simpleString());
        }
        ImageInputs.Kind.of(column, schema.apply(column).dataType());
        for (String added : List.of($(outputCol), $(errorCol))) {
            if (List.of(schema.fieldNames()).contains(added)) {
                throw new IllegalArgumentException("output column " + added + " already exists in the input");
            }
        }
        return schema.add($(outputCol), output().columnType, true).add($(errorCol), DataTypes.StringType, true);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = dataset.schema();
        StructType outSchema = transformSchema(schema);
        String column = imageColumn(schema);
        PartitionInference.Settings settings = new PartitionInference.Settings(getModel(), output(), topKOrZero(),
                getBatchSize(), (Integer) $(threadsPerTask), schema.fieldIndex(column),
                ImageInputs.Kind.of(column, schema.apply(column).dataType()));
        // Rows, not a typed encoder: the converters of createDataFrame take Java arrays for array columns.
        JavaRDD<Row> rows = dataset.toDF().javaRDD().mapPartitions(new PartitionInference(settings, loadReport));
        return dataset.sparkSession().createDataFrame(rows, outSchema);
    }

    @Override
    public T copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
