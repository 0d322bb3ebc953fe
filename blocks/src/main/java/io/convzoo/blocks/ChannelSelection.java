package io.convzoo.blocks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A fixed list of channel indices a block selects ({@link Ops#selectChannels}), kept as an engine
 * array once per device in the manager its owner names (the block's parameters').
 */
public final class ChannelSelection {

    private final long[] indices;
    private final Supplier<NDManager> owner;
    private final Map<Device, NDArray> arrays = new ConcurrentHashMap<>();

    /** Selects {@code indices}; their arrays are made in {@code owner}'s manager. */
    public ChannelSelection(long[] indices, Supplier<NDManager> owner) {
        this.indices = indices.clone();
        this.owner = owner;
    }

    /** Number of channels selected. */
    public int size() {
        return indices.length;
    }

    /** The indices as an int64 array on {@code device}, made at the first call. */
    public NDArray on(Device device) {
        NDArray a = arrays.get(device);
        if (a == null || a.isReleased()) {
            NDArray made = owner.get().create(indices);
            a = made.getDevice().equals(device) ? made : made.toDevice(device, false);
            if (a != made) {
                made.close();
            }
            ForwardArrays.keep(a);
            arrays.put(device, a);
        }
        return a;
    }
}
