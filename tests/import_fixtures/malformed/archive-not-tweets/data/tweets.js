window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "favorited" : false
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
      "full_text" : "Second post.",
      "lang" : "en"
    }
  }
]
