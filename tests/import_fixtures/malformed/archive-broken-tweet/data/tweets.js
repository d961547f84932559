window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "retweeted" : false,
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "id_str" : "921000000000000001",
      "id" : "921000000000000001",
      "created_at" : "Wed Oct 18 11:00:00 +0000 2017",
      "full_text" : "First post.",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "id_str" : "921000000000000002",
      "id" : "921000000000000002",
      "created_at" : "Wed Oct 18 12:00:00 +0000 2017",
      "full_text" : "Second post."
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "id_str" : "921000000000000003",
      "id" : "921000000000000003",
      "created_at" : "Wed Oct 18 13:00:00 +0000 2017",
      "full_text" : "Third post.",
      "lang" : "en"
    }
  }
]
