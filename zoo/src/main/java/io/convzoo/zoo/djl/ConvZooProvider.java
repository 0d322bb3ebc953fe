package io.convzoo.zoo.djl;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/** Registers {@link ConvZooModelZoo} with DJL through META-INF/services. */
public class ConvZooProvider implements ZooProvider {

    @Override
    public ModelZoo getModelZoo() {
        return new ConvZooModelZoo();
    }
}
