package io.convzoo.spark;

import ai.djl.modality.Classifications;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** What a transformer predicts per image: the DJL output type its model is loaded for and its Spark column. */
enum Output {
    /** The top-K classes, most probable first: array&lt;struct&lt;label, probability&gt;&gt;. */
    TOP_K(Classifications.class, DataTypes.createArrayType(new StructType()
            .add("label", DataTypes.StringType, false)
            .add("probability", DataTypes.DoubleType, false), false)),
    /** The pooled pre-logit embedding: array&lt;float&gt;. */
    EMBEDDING(float[].class, DataTypes.createArrayType(DataTypes.FloatType, false));

    final Class<?> djlOutput;
    final DataType columnType;

    Output(Class<?> djlOutput, DataType columnType) {
        this.djlOutput = djlOutput;
        this.columnType = columnType;
    }

    /** The column value of one prediction ({@code topK} is for {@link #TOP_K}). */
    Object toColumn(Object prediction, int topK) {
        if (this == EMBEDDING) {
            return prediction;
        }
        List<Classifications.Classification> top = ((Classifications) prediction).topK(topK);
        Row[] rows = new Row[top.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = RowFactory.create(top.get(i).getClassName(), top.get(i).getProbability());
        }
        return rows;
    }
}
