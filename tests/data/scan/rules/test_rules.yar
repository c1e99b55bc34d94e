/* Rules written for Vigil's scan tests (tests/unit/scan, tests/integration). */

rule Vigil_Test_Marker
{
    meta:
        description = "a marker string planted by the tests"
    strings:
        $a = "VIGIL-TEST-MALWARE-MARKER"
    condition:
        $a
}

rule Vigil_Test_Hex_Header
{
    strings:
        $h = { 7F 45 4C 46 02 01 01 ?? ?? ?? ?? ?? ?? ?? ?? ?? 56 49 47 49 4C }
    condition:
        $h at 0
}

rule Vigil_Test_Two_Strings
{
    strings:
        $a = "evil_function_one" nocase
        $b = /connect_back\([0-9]{1,3}(\.[0-9]{1,3}){3}\)/
    condition:
        all of them
}

rule Vigil_Test_EICAR
{
    strings:
        $e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
    condition:
        $e at 0x1c or $e
}
