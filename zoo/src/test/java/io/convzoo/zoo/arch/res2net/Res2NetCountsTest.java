package io.convzoo.zoo.arch.res2net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import io.convzoo.zoo.summary.ModelSummary;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.ConstantInitializer;
import io.convzoo.blocks.Layers;
import io.convzoo.zoo.ModelSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every variant against numbers measured from the official code with
 * {@code /usr/bin/python3 tools/res2net_official_counts.py <official-dir>} (PyTorch 1.13):
 * learnable parameters at the default class count, and conv + linear MACs of one forward of a
 * 1×C×S×S input (S = 224 ImageNet, 28 small). res2net_small is assembled there from the official
 * Bottle2neck and _make_layer.
 */
class Res2NetCountsTest {

    /** id -> {parameters, MACs}. */
    static final Map<String, long[]> OFFICIAL = new LinkedHashMap<>();

    static {
        OFFICIAL.put("res2net50_26w_4s", new long[] {25_699_120L, 4_255_166_464L});
        OFFICIAL.put("res2net50_26w_6s", new long[] {37_051_448L, 6_295_523_328L});
        OFFICIAL.put("res2net50_26w_8s", new long[] {48_403_776L, 8_335_880_192L});
        OFFICIAL.put("res2net50_48w_2s", new long[] {25_287_304L, 4_159_832_064L});
        OFFICIAL.put("res2net50_14w_8s", new long[] {25_059_816L, 4_178_898_944L});
        OFFICIAL.put("res2net101_26w_4s", new long[] {45_206_688L, 8_066_974_464L});
        OFFICIAL.put("res2next50", new long[] {24_671_464L, 4_172_677_120L});
        OFFICIAL.put("res2net50_v1b", new long[] {25_718_352L, 4_494_807_040L});
        OFFICIAL.put("res2net101_v1b", new long[] {45_225_920L, 8_306_615_040L});
        OFFICIAL.put("res2net152_v1b_26w_4s", new long[] {61_294_480L, 12_118_423_040L});
        OFFICIAL.put("res2net_small", new long[] {876_220L, 39_564_208L});
    }

    @Test
    void everyVariantIsMeasured() {
        assertEquals(OFFICIAL.keySet(), new java.util.LinkedHashSet<>(Res2Nets.VARIANTS.stream().map(ModelSpec::id).toList()));
    }

    @Test
    void macsOfEveryVariantMatchTheOfficialCode() {
        for (ModelSpec spec : Res2Nets.VARIANTS) {
            Shape input = new Shape(1, spec.defaults().inputChannels(), spec.inputSize(), spec.inputSize());
            assertEquals(OFFICIAL.get(spec.id())[1], ModelSummary.of(spec.build(), input).macs(), spec.id());
        }
    }

    @Test
    void parametersOfTheFiftyLayerAndSmallVariantsMatchTheOfficialCode() {
        // The 101/152-layer variants are in Res2NetDeepCountsTest (initializing them takes a while).
        assertParameters(spec -> !isDeep(spec));
    }

    static boolean isDeep(ModelSpec spec) {
        return spec.id().startsWith("res2net101") || spec.id().startsWith("res2net152");
    }

    static void assertParameters(java.util.function.Predicate<ModelSpec> which) {
        int checked = 0;
        for (ModelSpec spec : Res2Nets.VARIANTS) {
            if (which.test(spec)) {
                assertEquals(OFFICIAL.get(spec.id())[0], countParameters(spec.build(), spec.defaults().inputChannels()),
                        spec.id());
                checked++;
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(checked > 0, "no variant selected");
    }

    /** Initializes on a small input (parameter shapes do not depend on it) with cheap constant weights. */
    static long countParameters(Block block, int inputChannels) {
        block.setInitializer(new ConstantInitializer(0.01f), Parameter.Type.WEIGHT);
        try (NDManager m = NDManager.newBaseManager()) {
            block.initialize(m, DataType.FLOAT32, new Shape(1, inputChannels, 32, 32));
            return Layers.countParameters(block);
        }
    }
}
