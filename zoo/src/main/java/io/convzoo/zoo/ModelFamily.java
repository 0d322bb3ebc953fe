package io.convzoo.zoo;

import java.util.List;

/**
 * A family's variant table, one {@link ModelSpec} line per variant. Families are found by
 * {@link java.util.ServiceLoader} ({@code META-INF/services/io.convzoo.zoo.ModelFamily}), so the
 * registry does not depend on the architectures: a new family is its block, its table and one line
 * there.
 */
public interface ModelFamily {

    /** Every variant of the family, in listing order. */
    List<ModelSpec> variants();
}
