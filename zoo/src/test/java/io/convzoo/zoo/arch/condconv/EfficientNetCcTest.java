package io.convzoo.zoo.arch.condconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.blocks.dynamic.CondConv2d;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.OfficialModelChecks;
import io.convzoo.zoo.summary.ModelSummary;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * timm's CondConv EfficientNets against the official timm code (huggingface/pytorch-image-models, Debian PyTorch 1.13),
 * measured with {@code /usr/bin/python3 tools/efficientnet_cc_official.py --timm <checkout> --keys-out
 * zoo/src/test/resources/io/convzoo/zoo/arch/condconv}: learnable parameters at 1000 classes (timm's published
 * 13.31 M / 24.01 M / 39.72 M), at timm's default input (224; 240 for b1) the MACs of nn.Conv2d, nn.Linear and every
 * CondConv2d as the conv with its mixed kernel, the kernel-mixing MACs apart, and the state_dict keys with their shapes,
 * in order. Shapes only, no forward (the logits are OfficialParityTest's efficientnet_cc_reduced case).
 */
class EfficientNetCcTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "efficientnet_cc_b0_4e, 224, 13314116, 385819488, 10694400",
        "efficientnet_cc_b0_8e, 224, 24013284, 385824224, 21388800",
        "efficientnet_cc_b1_8e, 240, 39715968, 686817296, 36465408",
    })
    void parametersMacsAndKernelMixingMatchTimm(String id, int size, long params, long macs, long mixing) {
        ModelSpec spec = ModelRegistry.get(id);
        assertEquals(EfficientNetCcs.FAMILY, spec.family());
        Shape input = new Shape(1, 3, size, size);
        ModelSummary s = ModelSummary.of(spec.build(), input);
        assertEquals(params, s.params(), id + " params");
        assertEquals(macs, s.macs(), id + " MACs");
        assertEquals(mixing, s.auxiliaryMacs(), id + " kernel-mixing MACs");
        assertEquals(new Shape(1, 1000), spec.build().getOutputShapes(new Shape[] {input})[0]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"efficientnet_cc_b0_4e", "efficientnet_cc_b0_8e", "efficientnet_cc_b1_8e"})
    void namesAndShapesAreTimmsStateDict(String id) throws IOException {
        OfficialModelChecks.assertOfficialKeys(ModelRegistry.get(id),
                "/io/convzoo/zoo/arch/condconv/" + id + ".keys.txt.gz");
    }

    @Test
    void depthScalingIsTimmsCeil() {
        List<Integer> b1 = EfficientNetCc.decodeArchDef(EfficientNetCcs.ARCH_DEF, 1.1, 2).stream().map(List::size).toList();
        assertEquals(List.of(2, 3, 3, 4, 4, 5, 2), b1);
        assertEquals(List.of(0, 0, 0, 0, 8, 8, 8), EfficientNetCc.decodeArchDef(EfficientNetCcs.ARCH_DEF, 1.1, 2).stream()
                .map(stage -> stage.get(0).experts()).toList());
    }

    @Test
    void pooledFeaturesWithoutClasses() {
        ModelSpec spec = ModelRegistry.get("efficientnet_cc_b0_4e");
        Block net = spec.build(spec.defaults().withNumClasses(0));
        assertEquals(new Shape(2, 1280), net.getOutputShapes(new Shape[] {new Shape(2, 3, 64, 64)})[0]);
    }

    @Test
    void badInputIsNamed() {
        Block net = ModelRegistry.get("efficientnet_cc_b0_4e").build();
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> net.getOutputShapes(new Shape[] {new Shape(1, 1, 224, 224)}));
        assertTrue(channels.getMessage().contains("efficientnet_cc_b0_4e (EfficientNet-CondConv)"), channels.getMessage());

        CondConv2d conv = new CondConv2d(8, 16, 3, 1, 1, 1, 1, 4, false);
        IllegalArgumentException routing = assertThrows(IllegalArgumentException.class,
                () -> conv.getOutputShapes(new Shape[] {new Shape(2, 8, 6, 6), new Shape(2, 3)}));
        assertTrue(routing.getMessage().contains("expected routing weights of shape (N=2, K=4), got (2, 3)"),
                routing.getMessage());
        IllegalArgumentException alone = assertThrows(IllegalArgumentException.class,
                () -> conv.getOutputShapes(new Shape[] {new Shape(2, 8, 6, 6)}));
        assertTrue(alone.getMessage().contains("expected two inputs (x, routing"), alone.getMessage());
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> conv.getOutputShapes(new Shape[] {new Shape(2, 4, 6, 6), new Shape(2, 4)}));
        assertTrue(wide.getMessage().contains("CondConv2d(8->16, k=3, K=4)"), wide.getMessage());
    }
}
