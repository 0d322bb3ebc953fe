package io.convzoo.zoo.arch.condconv;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import java.util.List;
import java.util.Map;

/**
 * timm's CondConv EfficientNets ({@code _gen_efficientnet_condconv}): B0 with 4 or 8 experts per CondConv layer,
 * B1 (depth × 1.1) with 8. timm's arch_def, {@code cc4} in the last three stages, times the experts multiplier.
 */
public final class EfficientNetCcs implements ModelFamily {

    public static final String FAMILY = "condconv";

    /** timm's {@code _gen_efficientnet_condconv} arch_def. */
    static final List<List<String>> ARCH_DEF = List.of(
            List.of("ds_r1_k3_s1_e1_c16_se0.25"),
            List.of("ir_r2_k3_s2_e6_c24_se0.25"),
            List.of("ir_r2_k5_s2_e6_c40_se0.25"),
            List.of("ir_r3_k3_s2_e6_c80_se0.25"),
            List.of("ir_r3_k5_s1_e6_c112_se0.25_cc4"),
            List.of("ir_r4_k5_s2_e6_c192_se0.25_cc4"),
            List.of("ir_r1_k3_s1_e6_c320_se0.25_cc4"));
    static final int STEM = 32;
    static final int NUM_FEATURES = 1280;

    /** One line per variant. */
    public static final List<ModelSpec> VARIANTS = List.of(
            variant("efficientnet_cc_b0_4e", "b0", 1.0, 1),
            variant("efficientnet_cc_b0_8e", "b0", 1.0, 2),
            variant("efficientnet_cc_b1_8e", "b1", 1.1, 2));

    private static ModelSpec variant(String id, String scale, double depthMultiplier, int expertsMultiplier) {
        return new ModelSpec(id, FAMILY, Map.of("family", FAMILY, "scale", scale, "experts",
                Integer.toString(4 * expertsMultiplier), "dataset", Datasets.IMAGENET_SPEC.name()), ModelArgs.imagenet(),
                Datasets.IMAGENET_SPEC, args -> EfficientNetCc.build(id, ARCH_DEF, depthMultiplier, expertsMultiplier, STEM,
                        NUM_FEATURES, args));
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public EfficientNetCcs() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
