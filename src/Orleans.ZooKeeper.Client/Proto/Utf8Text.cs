namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>UTF-8 checks for strings that go on the wire.</summary>
internal static class Utf8Text
{
    /// <summary>False when the string has an unpaired surrogate (strict UTF-8 cannot encode it).</summary>
    public static bool IsEncodable(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
