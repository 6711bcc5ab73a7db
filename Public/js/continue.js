// Posts the provider's answer again from this site (see Templates/continue.leaf).
document.getElementById("continue").submit();
