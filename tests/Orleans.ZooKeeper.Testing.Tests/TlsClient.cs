using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Orleans.ZooKeeper.Testing.Tests;

/// <summary>
/// .NET TLS client settings for the tests: trust exactly one test CA (custom root trust), check the host name,
/// and record what the validation found.
/// </summary>
internal sealed class TlsClient
{
    private readonly object gate = new();
    private SslPolicyErrors lastErrors;
    private X509ChainStatusFlags lastChainStatus;

    public TlsClient(
        SslProtocols protocols,
        TestCertificateAuthority trustedCa,
        X509Certificate2? clientCertificate = null,
        string targetHost = "127.0.0.1")
    {
        Options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = protocols,
            CertificateChainPolicy = TestCertificates.CreateTrustPolicy(trustedCa),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            RemoteCertificateValidationCallback = (_, _, chain, errors) =>
            {
                lock (gate)
                {
                    lastErrors = errors;
                    lastChainStatus = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) ?? X509ChainStatusFlags.NoError;
                }

                return errors == SslPolicyErrors.None;
            },
        };
    }

    public SslClientAuthenticationOptions Options { get; }

    /// <summary>What the last validation of the server's certificate found.</summary>
    public SslPolicyErrors LastErrors
    {
        get
        {
            lock (gate)
            {
                return lastErrors;
            }
        }
    }

    /// <summary>The chain status flags of the last validation.</summary>
    public X509ChainStatusFlags LastChainStatus
    {
        get
        {
            lock (gate)
            {
                return lastChainStatus;
            }
        }
    }
}
