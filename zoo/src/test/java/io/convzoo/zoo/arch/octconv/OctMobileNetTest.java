package io.convzoo.zoo.arch.octconv;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.zoo.arch.OfficialModelChecks;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Oct-MobileNet against the official oct_mobilenet.py (d-li14/octconv.pytorch, PyTorch 1.13), measured with
 * {@code /usr/bin/python3 tools/oct_mobilenet_official_counts.py <official-dir> [<keys-dir>]}: learnable
 * parameters at 1000 classes (the README's 4.232M), conv + linear MACs of one 1×3×224×224 forward (forward
 * hooks; the README's 318.2M FLOPs), and the state_dict keys with shapes, in order. Shapes only.
 */
class OctMobileNetTest {

    @Test
    void parametersAndMacsMatchTheOfficialCode() {
        OfficialModelChecks.assertParamsAndMacs(OctMobileNets.VARIANTS.get(0), 4_231_976L, 318_167_680L);
    }

    @Test
    void namesAndShapesAreTheOfficialStateDict() throws IOException {
        OfficialModelChecks.assertOfficialKeys(OctMobileNets.VARIANTS.get(0),
                "/io/convzoo/zoo/arch/octconv/oct_mobilenet.keys.txt.gz");
    }

    @Test
    void anOddOctaveMapAndWrongChannelsAreNamed() {
        Block net = OctMobileNets.VARIANTS.get(0).build();
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> net.getOutputShapes(new Shape[] {new Shape(1, 3, 200, 200)}));
        assertTrue(odd.getMessage().contains("OctConv"), odd.getMessage());
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> net.getOutputShapes(new Shape[] {new Shape(1, 1, 224, 224)}));
        assertTrue(channels.getMessage().contains("oct_mobilenet (OctMobileNet)"), channels.getMessage());
    }
}
