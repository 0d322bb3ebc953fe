package io.convzoo.zoo.djl;

import ai.djl.repository.Repository;
import ai.djl.repository.zoo.ModelZoo;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import java.nio.file.Paths;
import java.util.Set;

/** The ConvZoo DJL model zoo: one artifact (ModelLoader) per registered variant. */
public class ConvZooModelZoo extends ModelZoo {

    public static final String GROUP_ID = "io.convzoo";

    public ConvZooModelZoo() {
        Repository repository = Repository.newInstance("convzoo",
                PretrainedWeights.localRoot().orElse(Paths.get(System.getProperty("java.io.tmpdir"), "convzoo")));
        for (ModelSpec spec : ModelRegistry.all()) {
            addModel(new ConvZooModelLoader(spec, repository));
        }
    }

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }
}
