package io.convzoo.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelArgsTest {

    @Test
    void parsesCriteriaArgumentsOfAnyType() {
        ModelArgs a = ModelArgs.fromMap(Map.of("numClasses", "10", "inputChannels", 1.0, "alpha", "0.25",
                "zeroInitLastBn", "true"), ModelArgs.imagenet());
        assertEquals(10, a.numClasses());
        assertEquals(1, a.inputChannels());
        assertTrue(a.zeroInitLastBn());
        assertEquals(0.25, a.getDouble("alpha", 0.5));
        assertEquals(0.5, ModelArgs.imagenet().getDouble("alpha", 0.5));
    }

    @Test
    void rejectsNonsense() {
        // 0 means no classifier (timm's num_classes=0); below that is nonsense.
        assertEquals(0, ModelArgs.fromMap(Map.of("numClasses", 0), ModelArgs.imagenet()).numClasses());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> ModelArgs.fromMap(Map.of("numClasses", -1), ModelArgs.imagenet()));
        assertEquals("numClasses must be >= 0 (0: no classifier), got -1", negative.getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelArgs.fromMap(Map.of("numClasses", "ten"), ModelArgs.imagenet()));
        assertTrue(e.getMessage().contains("numClasses"), e.getMessage());
    }

    @Test
    void editDistanceIsLevenshtein() {
        assertEquals(0, ModelRegistry.editDistance("abc", "abc"));
        assertEquals(1, ModelRegistry.editDistance("res2net50", "res2net5"));
        assertEquals(3, ModelRegistry.editDistance("kitten", "sitting"));
    }
}
