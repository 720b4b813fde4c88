/// Token and position embeddings: `out[b, t] = wte[token] + wpe[t]`, and their backward.
public enum Embedding {
    public static func forward(out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>,
                               wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>?,
                               batch: Int, length t: Int, channels c: Int) {
        Parallel.forRanges(batch * t, minimumChunk: 32) { range in
            for r in range {
                let o = out + r * c
                o.update(from: wte + Int(tokens[r]) * c, count: c)
                if let wpe { VectorMath.add(wpe + (r % t) * c, o, c) }
            }
        }
    }

    /// Accumulates into `dwte` and `dwpe`; threaded over channel blocks so repeated tokens never race.
    public static func backward(dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>?,
                                dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
                                batch: Int, length t: Int, channels c: Int) {
        Parallel.forRanges(c, minimumChunk: 16) { range in
            let lo = range.lowerBound, n = range.count
            for r in 0..<(batch * t) {
                let g = dout + r * c + lo
                VectorMath.add(g, dwte + Int(tokens[r]) * c + lo, n)
                if let dwpe { VectorMath.add(g, dwpe + (r % t) * c + lo, n) }
            }
        }
    }
}
