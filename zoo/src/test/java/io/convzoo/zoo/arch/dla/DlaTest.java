package io.convzoo.zoo.arch.dla;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.OfficialModelChecks;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Res2Net-DLA against the official dla.py (Res2Net-PretrainedModels, PyTorch 1.13), measured with
 * {@code /usr/bin/python3 tools/dla_official_counts.py <official-dir> [<keys-dir>]}: learnable parameters
 * at 1000 classes, conv + linear MACs of one 1×3×224×224 forward (forward hooks), and the state_dict
 * keys with shapes, in order. Shapes only: no full-size forward runs here.
 */
class DlaTest {

    private static ModelSpec spec(String id) {
        return Dlas.VARIANTS.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "res2net_dla60, 21145544, 4199751680",
        "res2next_dla60, 17330456, 3535822848",
    })
    void parametersAndMacsMatchTheOfficialCode(String id, long params, long macs) {
        OfficialModelChecks.assertParamsAndMacs(spec(id), params, macs);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"res2net_dla60", "res2next_dla60"})
    void namesAndShapesAreTheOfficialStateDict(String id) throws IOException {
        OfficialModelChecks.assertOfficialKeys(spec(id), "/io/convzoo/zoo/arch/dla/" + id + ".keys.txt.gz");
    }

    @Test
    void anInputTooSmallForThePoolAndWrongChannelsAreNamed() {
        Block net = spec("res2net_dla60").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.getOutputShapes(new Shape[] {new Shape(1, 3, 64, 64)}));
        assertTrue(e.getMessage().contains("AvgPool: a 7×7 window (padding 0) needs an input of at least that size, got 2×2"),
                e.getMessage());
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> net.getOutputShapes(new Shape[] {new Shape(1, 1, 224, 224)}));
        assertTrue(channels.getMessage().contains("res2net_dla60 (DLA)"), channels.getMessage());
    }
}
