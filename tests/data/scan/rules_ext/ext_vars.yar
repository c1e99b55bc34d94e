/* Uses the external variables public rule sets expect. */
rule Vigil_Test_Ext_Filename
{
    strings:
        $a = "VIGIL-EXT-MARK"
    condition:
        $a and filename matches /^ext_.*\.sh$/ and extension == ".sh"
}
