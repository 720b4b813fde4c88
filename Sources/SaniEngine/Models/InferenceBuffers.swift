/// The buffers of a forward pass that keeps nothing for a backward: one block's activations, reused by every
/// block of the model (the training pass keeps every block's). Buffer `i` grows on demand; contents are not kept
/// from one use to the next.
final class InferenceBuffers {
    private var buffers: [FloatBuffer] = []
    /// The full pass's logits, reused by the next call of the same size (a `LogitsView` is valid until then).
    private var logits: FloatBuffer?

    func buffer(_ index: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= index { buffers.append(FloatBuffer(count: 0)) }
        if buffers[index].count < count { buffers[index] = FloatBuffer(count: count) }
        return buffers[index].pointer
    }

    func logits(count: Int) -> FloatBuffer {
        if let l = logits, l.count == count { return l }
        logits = nil
        let l = FloatBuffer(count: count)
        logits = l
        return l
    }
}
