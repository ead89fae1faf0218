import Clients
import Foundation
import RunbookKit
import Yams

/// `signing: {key: ~/.ssh/id_ed25519, principal: li@example.com, allowed_signers: /etc/rbsh/allowed_signers}`:
/// the operator's SSH key (a private key file, or the public one of a key
/// the agent holds) and who they are in the team's `allowed_signers` file,
/// which says whose key is whose when a seal or an approval is checked.
public struct SigningConfig: Sendable {
    public var key: String?
    public var principal: String?
    public var allowedSigners: String?
    public init() {}

    /// Signs transcripts' seals, when a key and a principal are configured.
    public var signer: (any TranscriptSigner)? {
        guard let key, let principal else { return nil }
        return SSHTranscriptSigner(key: key, principal: principal)
    }

    /// Checks a signature against `allowed_signers`, when one is configured.
    public var checkSignature: (@Sendable (Data, String, String) -> Result<Void, SignatureFailure>)? {
        guard let allowedSigners else { return nil }
        let file = (allowedSigners as NSString).expandingTildeInPath
        return { message, armored, principal in
            SSHSignatures.verify(
                message, armored: armored, principal: principal, namespace: TranscriptChain.sealNamespace, allowedSigners: file)
        }
    }

    static func read(_ node: Yams.Node?, path: String) throws(ConfigError) -> SigningConfig {
        var s = SigningConfig()
        guard let node else { return s }
        guard node.mapping != nil else { throw ConfigError("\(path): signing is {key: PATH, principal: NAME, allowed_signers: PATH}") }
        s.key = node["key"]?.string
        s.principal = node["principal"]?.string
        s.allowedSigners = node["allowed_signers"]?.string
        if (s.key == nil) != (s.principal == nil) {
            throw ConfigError("\(path): signing needs both key and principal (who the key is in allowed_signers)")
        }
        return s
    }
}

/// Signs with `ssh-keygen -Y sign` and the configured key.
struct SSHTranscriptSigner: TranscriptSigner {
    var key: String
    var principal: String

    func sign(_ message: Data, namespace: String) throws -> SealSignature {
        SealSignature(principal: principal, armored: try SSHSignatures.sign(message, key: key, namespace: namespace))
    }
}
