package io.convzoo.zoo.arch.octconv;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import java.util.List;
import java.util.Map;

/** Octave MobileNet V1 of d-li14/octconv.pytorch: {@code oct_mobilenet}, the one the official file defines. */
public final class OctMobileNets implements ModelFamily {

    /** One line per variant. */
    public static final List<ModelSpec> VARIANTS = List.of(
            new ModelSpec("oct_mobilenet", OctResNets.FAMILY, Map.of("family", OctResNets.FAMILY, "depth", "28",
                    "alpha", "0.5", "dataset", Datasets.IMAGENET_SPEC.name()), ModelArgs.imagenet(),
                    Datasets.IMAGENET_SPEC, args -> OctMobileNet.build("oct_mobilenet", 1, args)));

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public OctMobileNets() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
