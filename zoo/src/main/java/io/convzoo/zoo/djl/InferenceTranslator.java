package io.convzoo.zoo.djl;

import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import io.convzoo.zoo.infer.Inference;
import java.util.List;

/**
 * Wraps a zoo model's translator so that a DJL {@code Predictor} hands a prepared model its input
 * batch in the memory format that pays ({@link Inference#preparedInput}: channels-last from batch 4
 * on CPU), as {@link Inference#forward} and the serving runner do. Everything else is the wrapped
 * translator's.
 */
final class InferenceTranslator<I, O> implements Translator<I, O> {

    private final Translator<I, O> inner;

    InferenceTranslator(Translator<I, O> inner) {
        this.inner = inner;
    }

    @Override
    public void prepare(TranslatorContext ctx) throws Exception {
        inner.prepare(ctx);
    }

    @Override
    public Batchifier getBatchifier() {
        return inner.getBatchifier();
    }

    /** Without a batchifier the processed input is what the model sees, often a whole batch. */
    @Override
    public NDList processInput(TranslatorContext ctx, I input) throws Exception {
        NDList list = inner.processInput(ctx, input);
        return getBatchifier() == null ? preparedInput(ctx, list) : list;
    }

    @Override
    public NDList batchProcessInput(TranslatorContext ctx, List<I> inputs) throws Exception {
        return preparedInput(ctx, inner.batchProcessInput(ctx, inputs));
    }

    @Override
    public O processOutput(TranslatorContext ctx, NDList list) throws Exception {
        return inner.processOutput(ctx, list);
    }

    @Override
    public List<O> batchProcessOutput(TranslatorContext ctx, NDList list) throws Exception {
        return inner.batchProcessOutput(ctx, list);
    }

    private static NDList preparedInput(TranslatorContext ctx, NDList list) {
        return list.size() == 1 ? new NDList(Inference.preparedInput(ctx.getBlock(), list.head())) : list;
    }
}
