package io.convzoo.serving.api;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import io.convzoo.zoo.infer.Inference;

/**
 * A worker's runner over one DJL {@link Predictor} of a zoo model. The batch is stacked into one
 * (N, C, H, W) array in the predictor's per-call manager, so its native memory is freed when the
 * call returns; the outputs are copied to Java arrays before that.
 */
public final class DjlBatchRunner implements BatchRunner {

    private final Predictor<Batch, float[][]> predictor;

    /** A batch of items of one shape. */
    record Batch(float[][] items, long[] itemShape) {}

    public DjlBatchRunner(ZooModel<?, ?> model) {
        // Inference preparation (folded conv+BN pairs, one TorchScript module), unless the loader did it
        // already with the caller's own settings.
        if (!Inference.isPrepared(model.getBlock())) {
            Inference.prepare(model.getBlock());
        }
        this.predictor = model.newPredictor(new BatchTranslator(model.getBlock()));
    }

    @Override
    public float[][] run(float[][] inputs, long[] itemShape) throws Exception {
        // Autograd mode is per thread in PyTorch; worker threads must not record graphs.
        Inference.noGrad();
        return predictor.predict(new Batch(inputs, itemShape));
    }

    @Override
    public void close() {
        predictor.close();
    }

    private static final class BatchTranslator implements Translator<Batch, float[][]> {

        private final Block block;

        BatchTranslator(Block block) {
            this.block = block;
        }

        @Override
        public NDList processInput(TranslatorContext ctx, Batch batch) {
            int n = batch.items().length;
            int item = batch.items()[0].length;
            float[] flat = new float[n * item];
            for (int i = 0; i < n; i++) {
                System.arraycopy(batch.items()[i], 0, flat, i * item, item);
            }
            long[] dims = new long[batch.itemShape().length + 1];
            dims[0] = n;
            System.arraycopy(batch.itemShape(), 0, dims, 1, batch.itemShape().length);
            return new NDList(Inference.preparedInput(block, ctx.getNDManager().create(flat, new Shape(dims))));
        }

        @Override
        public float[][] processOutput(TranslatorContext ctx, NDList list) {
            NDArray out = list.get(0);
            int n = (int) out.getShape().get(0);
            int k = (int) (out.getShape().size() / n);
            float[] flat = out.toFloatArray();
            float[][] rows = new float[n][k];
            for (int i = 0; i < n; i++) {
                System.arraycopy(flat, i * k, rows[i], 0, k);
            }
            return rows;
        }

        @Override
        public Batchifier getBatchifier() {
            return null; // batches are stacked by processInput itself
        }
    }
}
