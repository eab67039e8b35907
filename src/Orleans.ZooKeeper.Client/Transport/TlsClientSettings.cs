using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Orleans.ZooKeeper.Client.Transport;

/// <summary>
/// <see cref="ZooKeeperTlsOptions"/> with its files loaded once: the trusted roots and the client certificate.
/// Builds each connection's <see cref="SslClientAuthenticationOptions"/> and records what the handshake showed (why a
/// server certificate was rejected, whether the server asked for a client certificate), for an error message that
/// names the cause.
/// </summary>
internal sealed class TlsClientSettings
{
    private readonly ZooKeeperTlsOptions _options;
    private readonly X509Certificate2Collection? _roots;
    private readonly X509Certificate2? _clientCertificate;

    private TlsClientSettings(ZooKeeperTlsOptions options, X509Certificate2Collection? roots, X509Certificate2? clientCertificate)
    {
        _options = options;
        _roots = roots;
        _clientCertificate = clientCertificate;
    }

    /// <summary>The subject of the client certificate presented (mutual TLS), or null when none is configured.</summary>
    public string? ClientCertificateSubject => _clientCertificate?.Subject;

    /// <summary>Loads the files; throws <see cref="ArgumentException"/> naming the setting and file when one cannot be used.</summary>
    public static TlsClientSettings Load(ZooKeeperTlsOptions options)
    {
        X509Certificate2Collection? roots = null;
        if (options.CaCertificatesFile is { } caFile)
        {
            roots = LoadCertificates(caFile, nameof(ZooKeeperTlsOptions.CaCertificatesFile));
        }

        if (options.TrustedCertificates is { Count: > 0 } trusted)
        {
            roots ??= [];
            roots.AddRange(trusted);
        }

        var client = options.ClientCertificate;
        if (client is null && options.ClientCertificateFile is { } certFile)
        {
            client = LoadClientCertificate(certFile, options.ClientKeyFile, options.ClientCertificatePassword);
        }
        else if (client is null && options.ClientKeyFile is not null)
        {
            throw new ArgumentException($"ZooKeeperTlsOptions.ClientKeyFile '{options.ClientKeyFile}' is set without ClientCertificateFile.", nameof(options));
        }

        if (client is not null && !client.HasPrivateKey)
        {
            throw new ArgumentException($"The TLS client certificate '{client.Subject}' has no private key.", nameof(options));
        }

        return new TlsClientSettings(options, roots, client);
    }

    /// <summary>The options for one connection attempt; <paramref name="observation"/> receives what the handshake showed.</summary>
    public SslClientAuthenticationOptions CreateAuthenticationOptions(ServerAddress server, TlsHandshakeObservation observation)
    {
        var auth = new SslClientAuthenticationOptions
        {
            TargetHost = server.Host,
            EnabledSslProtocols = _options.EnabledProtocols,
            CertificateRevocationCheckMode = _options.CertificateRevocationCheckMode,
        };
        if (_roots is not null)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = _options.CertificateRevocationCheckMode };
            policy.CustomTrustStore.AddRange(_roots);
            auth.CertificateChainPolicy = policy;
        }

        var clientCertificate = _clientCertificate;
        if (clientCertificate is not null)
        {
            auth.ClientCertificates = [clientCertificate];
        }

        // Also without a certificate of our own, to learn whether the server asked for one. Some platforms call this
        // once before the handshake (without issuers); a call with the server's acceptable issuers, or a second call,
        // answers the server's certificate request. Null: no certificate.
        auth.LocalCertificateSelectionCallback = (_, _, _, _, acceptableIssuers) =>
        {
            if (Interlocked.Increment(ref observation.SelectionCalls) > 1 || acceptableIssuers.Length > 0)
            {
                observation.ClientCertificateRequested = true;
            }

            return clientCertificate!;
        };

        var custom = _options.RemoteCertificateValidation;
        var checkHostName = _options.CheckHostName;
        auth.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            if (custom is not null)
            {
                var accepted = custom(sender, certificate, chain, errors);
                if (!accepted)
                {
                    observation.Reason = "the RemoteCertificateValidation callback rejected it";
                }

                return accepted;
            }

            if (!checkHostName)
            {
                errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
            }

            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            observation.Reason = Describe(server, certificate, chain, errors, _roots is not null);
            return false;
        };
        _options.ConfigureAuthentication?.Invoke(server, auth);
        return auth;
    }

    private static string Describe(ServerAddress server, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, bool customRoots)
    {
        var parts = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            parts.Add("the server sent no certificate");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            parts.Add($"it is not issued for '{server.Host}' (host name check; turn it off with CheckHostName = false)");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = chain?.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct().ToList() ?? [];
            var text = new StringBuilder("its chain is not valid: ");
            text.Append(statuses.Count == 0 ? "unknown chain error" : string.Join(", ", statuses));
            if (statuses.Contains(X509ChainStatusFlags.NotTimeValid) && certificate is X509Certificate2 leaf)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $" (valid {leaf.NotBefore:u} to {leaf.NotAfter:u}: expired or not yet valid)");
            }

            if (statuses.Contains(X509ChainStatusFlags.UntrustedRoot) || statuses.Contains(X509ChainStatusFlags.PartialChain))
            {
                text.Append(customRoots ? " (not issued by the configured CA certificates)" : " (not issued by a CA the system trusts; set CaCertificatesFile)");
            }

            parts.Add(text.ToString());
        }

        var subject = certificate is null ? string.Empty : $" '{certificate.Subject}'";
        return $"the server certificate{subject} was rejected: {string.Join("; ", parts)}";
    }

    private static X509Certificate2Collection LoadCertificates(string path, string setting)
    {
        var bytes = ReadFile(path, setting);
        var collection = new X509Certificate2Collection();
        try
        {
            if (LooksLikePem(bytes))
            {
                collection.ImportFromPem(Encoding.ASCII.GetString(bytes));
            }
            else
            {
                try
                {
                    collection.Add(X509CertificateLoader.LoadCertificate(bytes));
                }
                catch (CryptographicException)
                {
                    collection.AddRange(X509CertificateLoader.LoadPkcs12Collection(bytes, null));
                }
            }
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"ZooKeeperTlsOptions.{setting} '{path}' holds no readable certificate (PEM, DER or PKCS#12 expected): {ex.Message}", setting, ex);
        }

        if (collection.Count == 0)
        {
            throw new ArgumentException($"ZooKeeperTlsOptions.{setting} '{path}' holds no certificate.", setting);
        }

        return collection;
    }

    private static X509Certificate2 LoadClientCertificate(string certFile, string? keyFile, string? password)
    {
        const string Setting = nameof(ZooKeeperTlsOptions.ClientCertificateFile);
        var bytes = ReadFile(certFile, Setting);
        if (keyFile is not null)
        {
            ReadFile(keyFile, nameof(ZooKeeperTlsOptions.ClientKeyFile));
        }

        try
        {
            X509Certificate2 certificate;
            if (LooksLikePem(bytes))
            {
                certificate = password is null
                    ? X509Certificate2.CreateFromPemFile(certFile, keyFile)
                    : X509Certificate2.CreateFromEncryptedPemFile(certFile, password, keyFile);

                // Keys read from PEM are ephemeral; a PKCS#12 round trip gives one every platform's TLS stack accepts.
                using (certificate)
                {
                    return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
                }
            }

            certificate = X509CertificateLoader.LoadPkcs12(bytes, password);
            return certificate;
        }
        catch (CryptographicException ex)
        {
            var key = keyFile is null ? string.Empty : $" with key file '{keyFile}'";
            throw new ArgumentException($"ZooKeeperTlsOptions.{Setting} '{certFile}'{key} cannot be used as a client certificate (PEM certificate and key, or PKCS#12 with ClientCertificatePassword): {ex.Message}", Setting, ex);
        }
    }

    private static byte[] ReadFile(string path, string setting)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ArgumentException($"ZooKeeperTlsOptions.{setting} '{path}' cannot be read: {ex.Message}", setting, ex);
        }
    }

    private static bool LooksLikePem(byte[] bytes) => bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0;
}

/// <summary>What the TLS callbacks saw on one connection attempt.</summary>
internal sealed class TlsHandshakeObservation
{
    /// <summary>Calls of the client certificate selection callback.</summary>
    public int SelectionCalls;

    /// <summary>Why the server certificate was refused (set by the validation callback), or null.</summary>
    public string? Reason { get; set; }

    /// <summary>The server asked for a client certificate (mutual TLS).</summary>
    public volatile bool ClientCertificateRequested;
}
