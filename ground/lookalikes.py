"""Letters drawn like Latin ones, as one translation table for every layer that reads text as a reader sees it
(decontamination's :func:`curation.dedup.fold`, the judge's :func:`verifiers.llm.unmask`)."""

#: Latin small capitals and IPA letters (ᴀʙᴄ, ɑ), which NFKC leaves alone, and the letters they stand for
SMALL_CAPS = ("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢɑɩ", "abcdefghijklmnoprstuvwyzai")
#: Cyrillic and Greek letters drawn like Latin ones (after Unicode's confusables, TR39), case kept, and the small
#: capitals: ``text.translate(LOOKALIKES)``
LOOKALIKES = str.maketrans(dict(zip(
    "АВЕКМНОРСТХУЅІЈҮӀԁԛԝһаеорсухѕіјүӏѵɡıΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαινρυχϲϳ" + SMALL_CAPS[0],
    "ABEKMHOPCTXYSIJYldqwhaeopcyxsijylvgiABEZHIKMNOPTYXoaivpuxcj" + SMALL_CAPS[1])))
