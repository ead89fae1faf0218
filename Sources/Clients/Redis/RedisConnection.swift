import CHiredis
import Foundation

/// One hiredis connection; freed in `deinit`. Commands are argv only.
public final class RedisConnection: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>
    public let url: RedisURL

    private init(context: UnsafeMutablePointer<redisContext>, url: RedisURL) {
        self.context = context
        self.url = url
    }

    deinit { redisFree(context) }

    /// Connects, then AUTH and SELECT as the URL says. `timeout` bounds the
    /// connect and every command after it.
    public static func connect(_ url: RedisURL, timeout: Double = 5) throws(RedisError) -> RedisConnection {
        let tv = timeval(seconds: timeout)
        guard let ctx = redisConnectWithTimeout(url.host, Int32(url.port), tv) else {
            throw .unreachable("out of memory creating a connection")
        }
        let connection = RedisConnection(context: ctx, url: url)
        if ctx.pointee.err != 0 {
            let message = connection.contextError
            let lower = message.lowercased()
            if lower.contains("timed out") { throw .timeout("connecting to \(url.host):\(url.port): \(message)") }
            throw .unreachable("\(url.host):\(url.port): \(message)")
        }
        _ = redisSetTimeout(ctx, tv)
        if let password = url.password {
            var argv = ["AUTH"]
            if let user = url.username { argv.append(user) }
            argv.append(password)
            do {
                _ = try connection.command(argv)
            } catch let error {
                if case .commandFailed(_, let m) = error { throw .authenticationFailed(m) }
                throw error
            }
        }
        if url.database != 0 {
            _ = try connection.command(["SELECT", String(url.database)])
        }
        return connection
    }

    private var contextError: String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Sends one command, each argument separate, and returns its reply.
    /// A Redis error reply throws `commandFailed` with its code.
    public func command(_ argv: [String]) throws(RedisError) -> RedisReply {
        guard !argv.isEmpty else { throw .commandFailed(code: "ERR", message: "empty command") }
        let datas = argv.map { Array($0.utf8) }
        let raw: UnsafeMutableRawPointer? = withArgv(datas) { pointers, lengths in
            redisCommandArgv(context, Int32(datas.count), pointers, lengths)
        }
        guard let raw else {
            let message = contextError
            if message.lowercased().contains("timed out") || message.contains("Resource temporarily unavailable") {
                throw .timeout("no reply within the timeout")
            }
            throw .connectionLost(message.isEmpty ? "no reply" : message)
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        let converted = Self.convert(reply)
        if case .error(let message) = converted { throw RedisError.fromReply(message) }
        return converted
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        func text() -> String {
            guard let str = r.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: str, count: Int(r.len)), as: UTF8.self)
        }
        switch r.type {
        case REDIS_REPLY_STATUS: return .status(text())
        case REDIS_REPLY_ERROR: return .error(text())
        case REDIS_REPLY_INTEGER: return .integer(r.integer)
        case REDIS_REPLY_STRING: return .string(text())
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            if let elements = r.element {
                for i in 0..<Int(r.elements) {
                    if let e = elements[i] { items.append(convert(e)) }
                }
            }
            return .array(items)
        default:
            return .string(text())
        }
    }

    private func withArgv<R>(_ datas: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        let buffers = datas.map { data -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(data.count, 1))
            data.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: data.count) }
            }
            return p
        }
        defer { buffers.forEach { $0.deallocate() } }
        var pointers: [UnsafePointer<CChar>?] = buffers.map { UnsafePointer($0) }
        let lengths = datas.map(\.count)
        return pointers.withUnsafeMutableBufferPointer { p in
            lengths.withUnsafeBufferPointer { l in
                guard let pBase = p.baseAddress, let lBase = l.baseAddress else { fatalError("argv is never empty here") }
                return body(pBase, lBase)
            }
        }
    }
}

extension timeval {
    init(seconds: Double) {
        let whole = max(0, seconds.rounded(.down))
        self.init(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
    }
}
